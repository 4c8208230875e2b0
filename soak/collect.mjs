// Merges the figures each reliability test wrote (make soak: RELIABILITY_RESULTS=<parts dir>) into
// one JSON file with the date, the machine and the command, then removes the parts.
// Usage: node soak/collect.mjs <parts dir> <out.json> <started epoch ms> <node --test exit status>
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [parts, out, started, status] = process.argv.slice(2);
const scenarios = {};
for (const file of readdirSync(parts).filter((f) => f.endsWith('.json')).sort()) {
  const figures = JSON.parse(readFileSync(join(parts, file), 'utf8'));
  scenarios[figures.scenario] = figures;
}
const result = {
  date: new Date().toISOString(),
  command: 'make soak',
  passed: status === '0',
  durationSeconds: Math.round((Date.now() - Number(started)) / 1000),
  machine: {
    os: `${type()} ${release()}`,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiBAtEnd: Math.round(freemem() / 2 ** 30),
    loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
  },
  scenarios,
};
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
rmSync(parts, { recursive: true, force: true });
console.log(`soak: ${Object.keys(scenarios).length} scenarios, ${result.durationSeconds} s, ${result.passed ? 'passed' : 'FAILED'}; figures in ${out}`);
