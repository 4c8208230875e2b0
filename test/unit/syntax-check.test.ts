// The static imports the syntax search follows: local files only, each once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { localImports } from '../../dist/shared/syntax-check.cjs';

describe('localImports', () => {
  it('finds relative, absolute and file: specifiers of import and export statements', () => {
    const source = [
      "import a from './a.mjs';",
      "import { b, c } from '../lib/b.js'",
      "import './side-effect.mjs';",
      "export { d } from './d.mjs';",
      "export * from '/abs/e.mjs';",
      "import f from 'file:///abs/f.mjs';",
      "import { multi,\n  line } from './g.mjs';",
    ].join('\n');
    assert.deepEqual(localImports(source, '/app/src/main.mjs'), ['/app/src/a.mjs', '/app/lib/b.js', '/app/src/side-effect.mjs', '/app/src/d.mjs', '/abs/e.mjs', '/abs/f.mjs', '/app/src/g.mjs']);
  });

  it('leaves out packages and builtins, and lists a file once', () => {
    const source = "import express from 'express';\nimport fs from 'node:fs';\nimport x from './x.mjs';\nimport { y } from './x.mjs';\n";
    assert.deepEqual(localImports(source, '/app/main.mjs'), ['/app/x.mjs']);
  });
});
