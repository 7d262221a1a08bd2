import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// In a process started as bin/skiff starts `skiff up`, a worker's heap limit shows its young generation's size.
const PROBE = `
const v8 = require('node:v8');
const { Worker } = require('node:worker_threads');
const report = "require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)";
const limitOf = (worker) => new Promise((resolve) => worker.once('message', resolve));
(async () => {
  const { withDefaultYoungGeneration } = await import(process.argv[1]);
  const helped = await limitOf(withDefaultYoungGeneration(() => new Worker(report, { eval: true })));
  const plain = await limitOf(new Worker(report, { eval: true }));
  console.log(JSON.stringify({ main: v8.getHeapStatistics().heap_size_limit, helped, plain }));
})();
`;

async function probe(flags: string[]): Promise<{ main: number; helped: number; plain: number }> {
  const { stdout } = await run(process.execPath, [...flags, '--import', 'tsx', '-e', PROBE, new URL('./host-proxier.ts', import.meta.url).href]);
  return JSON.parse(stdout) as { main: number; helped: number; plain: number };
}

describe('withDefaultYoungGeneration', () => {
  it("gives a worker V8's default young generation in a process started with a larger one, and puts the flag back", async () => {
    const [tuned, untuned] = await Promise.all([probe(['--max-semi-space-size=64']), probe([])]);
    assert.ok(tuned.main > untuned.main, `the flag enlarges the heap: ${JSON.stringify({ tuned, untuned })}`);
    assert.equal(tuned.helped, untuned.main, 'the worker gets the default-sized heap');
    assert.equal(tuned.plain, tuned.main, 'a worker started afterwards gets the flag again');
    assert.equal(untuned.helped, untuned.main, 'without the flag nothing changes');
  });
});
