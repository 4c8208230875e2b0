/** firstDenied: the owner/group/other rule walked along a path, with fake file status (no root needed). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstDenied, type ModeOwner } from '../../dist/master/app-access.js';

const NOBODY = { uid: 65534, gid: 65534 };

/** A fake file system: path → status; the real path of each is itself unless `links` says otherwise. */
function fs(tree: Record<string, ModeOwner>, links: Record<string, string> = {}) {
  return {
    stat: (path: string): ModeOwner => {
      const found = tree[path];
      if (found === undefined) throw new Error(`ENOENT ${path}`);
      return found;
    },
    realpath: (path: string): string => links[path] ?? path,
  };
}

const root = (mode: number): ModeOwner => ({ mode, uid: 0, gid: 0 });

describe('firstDenied', () => {
  it('passes a readable file under enterable directories', () => {
    const { stat, realpath } = fs({ '/': root(0o755), '/srv': root(0o755), '/srv/app.js': root(0o644) });
    assert.equal(firstDenied('/srv/app.js', NOBODY, stat, realpath), undefined);
  });

  it('names the first directory the account may not search', () => {
    const { stat, realpath } = fs({ '/': root(0o755), '/tmp': root(0o1777), '/tmp/x': root(0o700), '/tmp/x/y': root(0o755), '/tmp/x/y/app.js': root(0o644) });
    assert.deepEqual(firstDenied('/tmp/x/y/app.js', NOBODY, stat, realpath), { where: '/tmp/x', stat: root(0o700) });
  });

  it('names the file when only reading it is refused', () => {
    const { stat, realpath } = fs({ '/': root(0o755), '/srv': root(0o755), '/srv/app.js': root(0o600) });
    assert.deepEqual(firstDenied('/srv/app.js', NOBODY, stat, realpath)?.where, '/srv/app.js');
  });

  it('uses the owner bits for the owner and the group bits for the group, never both', () => {
    const { stat, realpath } = fs({
      '/': root(0o755),
      '/home': root(0o755),
      '/home/me': { mode: 0o700, uid: 65534, gid: 0 },
      '/home/me/app.js': { mode: 0o040, uid: 1000, gid: 65534 },
      '/home/me/own.js': { mode: 0o044, uid: 65534, gid: 0 },
    });
    assert.equal(firstDenied('/home/me/app.js', NOBODY, stat, realpath), undefined, 'group read is enough for the group');
    assert.equal(firstDenied('/home/me/own.js', NOBODY, stat, realpath)?.where, '/home/me/own.js', 'the owner gets the owner bits only');
  });

  it('walks the real path behind a symlink too', () => {
    const { stat, realpath } = fs(
      { '/': root(0o755), '/srv': root(0o755), '/srv/app.js': root(0o777), '/root': root(0o700), '/root/app.js': root(0o644) },
      { '/srv/app.js': '/root/app.js' },
    );
    assert.equal(firstDenied('/srv/app.js', NOBODY, stat, realpath)?.where, '/root');
  });

  it('lets root through, whatever the modes', () => {
    const { stat, realpath } = fs({ '/': root(0o700), '/x.js': root(0o000) });
    assert.equal(firstDenied('/x.js', { uid: 0, gid: 65534 }, stat, realpath), undefined);
  });
});
