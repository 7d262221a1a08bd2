// Runs the shared suite against a real etcd started for this file (Debian package etcd-server). When etcd is not
// installed every test fails with EtcdNotInstalledError, which says how to install it; nothing is skipped.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startEtcd, type TestEtcd } from '../../test/support/etcd.ts';
import { runBackendSuite, WatchRecorder, dec, enc } from './backend.suite.ts';
import { CompactedError } from './backend.ts';
import { EtcdBackend, type EtcdBackendOptions } from './etcd.ts';

const stopped = new AbortController();
let etcd: Promise<TestEtcd> | undefined;
after(async () => {
  stopped.abort();
  await etcd?.then((e) => e.stop()).catch(() => {});
});

async function newBackend(options?: EtcdBackendOptions): Promise<EtcdBackend> {
  etcd ??= startEtcd({ signal: stopped.signal });
  return new EtcdBackend([(await etcd).endpoint], options);
}

runBackendSuite('etcd', () => newBackend());

test('etcd: a new client learns the compacted revision from etcd', async (t) => {
  const first = await newBackend();
  t.after(() => first.close());
  const r1 = await first.create(`/registry/learn-${process.pid}/a`, enc('1'));
  const r2 = await first.update(`/registry/learn-${process.pid}/a`, enc('2'), r1);
  await first.compact(r2);
  const second = await newBackend();
  t.after(() => second.close());
  await second.start();
  assert.equal(await second.compactedRevision(), r2);
  await assert.rejects(second.list('/registry/', { revision: r1 }), (err) => err instanceof CompactedError && err.compacted === r2);
});

test('etcd: a slow consumer gets every event in order (the stream is paused, not dropped)', async (t) => {
  const b = await newBackend({ watchBufferSize: 2 });
  t.after(() => b.close());
  await b.start();
  const prefix = `/registry/slow-${process.pid}/`;
  const controller = new AbortController();
  t.after(() => controller.abort());
  const from = await b.currentRevision();
  for (let i = 0; i < 40; i++) await b.create(`${prefix}${String(i).padStart(2, '0')}`, enc(`${i}`));
  const seen: string[] = [];
  for await (const event of b.watch(prefix, { afterRevision: from, signal: controller.signal })) {
    seen.push(dec(event.kv.value));
    await new Promise((resolve) => setImmediate(resolve));
    if (seen.length === 40) break;
  }
  assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => `${i}`));
});

test('etcd: close() ends open watches', async () => {
  const b = await newBackend();
  await b.start();
  const watch = new WatchRecorder(b, `/registry/close-${process.pid}/`, { afterRevision: await b.currentRevision() });
  await b.close();
  await watch.done;
  assert.equal(watch.events.length, 0);
});
