import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enc } from './backend.suite.ts';
import { compactOnce, startCompactor } from './compactor.ts';
import { MemoryBackend } from './memory.ts';
import { CompactedError, StorageError } from './backend.ts';

async function writes(b: MemoryBackend, count: number): Promise<number> {
  let revision = await b.create('/registry/x', enc('0'));
  for (let i = 1; i < count; i++) revision = await b.update('/registry/x', enc(`${i}`), revision);
  return revision;
}

test('compactOnce keeps the newest keepRevisions revisions and does nothing when there is nothing to drop', async () => {
  const b = new MemoryBackend();
  assert.equal(await compactOnce(b, 10), undefined);
  const current = await writes(b, 25);
  assert.equal(await compactOnce(b, 10), current - 10);
  assert.equal(await b.compactedRevision(), current - 10);
  assert.equal(await compactOnce(b, 10), undefined);
  await assert.rejects(b.list('/registry/', { revision: current - 11 }), CompactedError);
  assert.equal((await b.list('/registry/', { revision: current - 10 })).items.length, 1);
});

test('startCompactor compacts every interval until the signal aborts, reporting errors and going on', { timeout: 10_000 }, async () => {
  const b = new MemoryBackend();
  const current = await writes(b, 30);
  const controller = new AbortController();
  const compacted: number[] = [];
  const errors: unknown[] = [];
  let failNext = true;
  const compact = async (revision: number): Promise<void> => {
    if (failNext) {
      failNext = false;
      throw new StorageError('disk on fire');
    }
    await b.compact(revision);
    controller.abort();
  };
  // The memory backend with a compact() that fails once.
  const flaky = new Proxy(b, {
    get: (target, property) => {
      if (property === 'compact') return compact;
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  await startCompactor(flaky, {
    signal: controller.signal,
    intervalMs: 1,
    keepRevisions: 5,
    onError: (err) => errors.push(err),
    onCompacted: (revision) => compacted.push(revision),
  });
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof StorageError);
  assert.deepEqual(compacted, [current - 5]);
  assert.equal(await b.compactedRevision(), current - 5);
});

test('startCompactor returns at once when the signal is already aborted', async () => {
  const b = new MemoryBackend();
  await startCompactor(b, { signal: AbortSignal.abort() });
  assert.equal(await b.compactedRevision(), 0);
});
