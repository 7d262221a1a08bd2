import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBackendSuite, WatchRecorder, dec, enc } from './backend.suite.ts';
import { MemoryBackend } from './memory.ts';
import { CompactedError } from './backend.ts';

runBackendSuite('memory', async () => new MemoryBackend());

test('memory: a watcher whose buffer overflows catches up from the log without gap or duplicate', async (t) => {
  const b = new MemoryBackend({ watch: { bufferSize: 3, batchSize: 2 } });
  t.after(() => b.close());
  const watch = new WatchRecorder(b, '/k/', { afterRevision: 0 });
  t.after(() => watch.stop());
  await b.create('/k/0', enc('0'));
  await watch.waitFor(1);
  // Synchronous writes: the consumer cannot run in between, so its buffer overflows.
  const writes = Array.from({ length: 20 }, (_, i) => b.create(`/k/${i + 1}`, enc(`${i + 1}`)));
  await Promise.all(writes);
  await watch.waitFor(21);
  assert.deepEqual(
    watch.events.map((e) => dec(e.kv.value)),
    Array.from({ length: 21 }, (_, i) => `${i}`),
  );
});

test('memory: a lagging watcher overtaken by compaction ends with CompactedError', async (t) => {
  const b = new MemoryBackend({ watch: { bufferSize: 2, batchSize: 2 } });
  t.after(() => b.close());
  await b.create('/k/a', enc('0'));
  const watch = new WatchRecorder(b, '/k/', { afterRevision: 0 });
  await watch.waitFor(1);
  // Issued synchronously so the consumer cannot keep up; revisions are 2…11.
  await Promise.all(Array.from({ length: 10 }, (_, i) => b.update('/k/a', enc(`${i + 1}`), i + 1)));
  await b.compact(11);
  await assert.rejects(watch.done, CompactedError);
});
