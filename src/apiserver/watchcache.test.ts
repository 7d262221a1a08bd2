import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryBackend } from '../storage/memory.ts';
import type { KObject } from '../api/types.ts';
import { TooOldResourceVersionError, WatchCache, type WatchOutEvent } from './watchcache.ts';

const enc = (o: KObject) => new TextEncoder().encode(JSON.stringify(o));
const cm = (ns: string, name: string, labels: Record<string, string> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels },
});
const key = (ns: string, name: string) => `/registry/configmaps/${ns}/${name}`;

async function setup() {
  const backend = new MemoryBackend();
  await backend.start();
  const ac = new AbortController();
  const cache = new WatchCache(backend);
  const cms = cache.register('/registry/configmaps/');
  const secrets = cache.register('/registry/secrets/');
  return { backend, cache, cms, secrets, ac };
}

/** Collects events from a watch until `count` arrive. */
async function take(it: AsyncIterable<WatchOutEvent>, count: number): Promise<WatchOutEvent[]> {
  const out: WatchOutEvent[] = [];
  if (count === 0) return out;
  for await (const ev of it) {
    out.push(ev);
    if (out.length >= count) break;
  }
  return out;
}

describe('WatchCache', () => {
  test('loads existing objects, follows writes, and serves consistent reads', async () => {
    const { backend, cache, cms, secrets, ac } = await setup();
    await backend.create(key('a', 'one'), enc(cm('a', 'one')));
    await backend.create('/registry/secrets/a/s', enc({ kind: 'Secret', metadata: { name: 's', namespace: 'a' } }));
    await cache.start(ac.signal);
    assert.equal(cms.items.size, 1);
    assert.equal(secrets.items.size, 1);
    const rev = await backend.create(key('b', 'two'), enc(cm('b', 'two')));
    await cache.sync();
    assert.equal(cache.revision, rev);
    const all = cms.list('/registry/configmaps/', () => true);
    assert.deepEqual(all.items.map((c) => c.obj.metadata?.name), ['one', 'two']);
    assert.equal(all.items[1]!.obj.metadata?.resourceVersion, String(rev));
    const inB = cms.list('/registry/configmaps/b/', () => true);
    assert.deepEqual(inB.items.map((c) => c.obj.metadata?.name), ['two']);
    ac.abort();
  });

  test('pages by key with limit and a start key', async () => {
    const { backend, cache, cms, ac } = await setup();
    for (const n of ['c', 'a', 'e', 'b', 'd']) await backend.create(key('x', n), enc(cm('x', n)));
    await cache.start(ac.signal);
    const first = cms.list('/registry/configmaps/', () => true, { limit: 2 });
    assert.deepEqual(first.items.map((c) => c.obj.metadata?.name), ['a', 'b']);
    assert.equal(first.more, true);
    const second = cms.list('/registry/configmaps/', () => true, { limit: 10, startKey: first.nextKey! });
    assert.deepEqual(second.items.map((c) => c.obj.metadata?.name), ['c', 'd', 'e']);
    assert.equal(second.more, false);
    ac.abort();
  });

  test('replays events after a resourceVersion, then live ones, filtered by prefix and predicate', async () => {
    const { backend, cache, cms, ac } = await setup();
    await cache.start(ac.signal);
    const r1 = await backend.create(key('a', 'one'), enc(cm('a', 'one', { app: 'x' })));
    await backend.create(key('b', 'other'), enc(cm('b', 'other', { app: 'x' })));
    await cache.sync();
    const w = new AbortController();
    const it = cms.watch({ keyPrefix: '/registry/configmaps/a/', predicate: (o) => o.metadata?.labels?.['app'] === 'x', afterRV: r1 - 1, initial: false, signal: w.signal });
    const got = take(it, 4);
    // Leaves the selection (DELETED), comes back (ADDED), changes (MODIFIED).
    const kv = (await backend.get(key('a', 'one')))!;
    const r2 = await backend.update(key('a', 'one'), enc(cm('a', 'one', { app: 'y' })), kv.modRevision);
    const r3 = await backend.update(key('a', 'one'), enc(cm('a', 'one', { app: 'x' })), r2);
    await backend.update(key('a', 'one'), enc({ ...cm('a', 'one', { app: 'x' }), data: { k: 'v' } }), r3);
    const events = await got;
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'DELETED', 'ADDED', 'MODIFIED']);
    assert.deepEqual(events[3]!.object!.obj['data'], { k: 'v' });
    w.abort();
    ac.abort();
  });

  test('WatchList: synthetic ADDED events, then the initial-events-end bookmark', async () => {
    const { backend, cache, cms, ac } = await setup();
    await backend.create(key('a', 'one'), enc(cm('a', 'one')));
    await backend.create(key('a', 'two'), enc(cm('a', 'two')));
    await cache.start(ac.signal);
    const w = new AbortController();
    const events = await take(cms.watch({ keyPrefix: '/registry/configmaps/', predicate: () => true, afterRV: 0, initial: true, bookmarkAfterInitial: true, signal: w.signal }), 3);
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'ADDED', 'BOOKMARK']);
    assert.equal(events[2]!.initialEventsEnd, true);
    assert.equal(events[2]!.rv, cache.revision);
    w.abort();
    ac.abort();
  });

  test('a watch from before the window, or below a truncation, is too old', async () => {
    const { backend, cache, cms, ac } = await setup();
    const r0 = await backend.create(key('a', 'zero'), enc(cm('a', 'zero')));
    await cache.start(ac.signal);
    const r1 = await backend.create(key('a', 'one'), enc(cm('a', 'one')));
    await backend.create(key('a', 'two'), enc(cm('a', 'two')));
    await cache.sync();
    const w = new AbortController();
    assert.throws(() => cms.watch({ keyPrefix: '/registry/configmaps/', predicate: () => true, afterRV: r0 - 1, initial: false, signal: w.signal }), TooOldResourceVersionError);
    // Still inside the window: the event after r1 arrives.
    const events = await take(cms.watch({ keyPrefix: '/registry/configmaps/', predicate: () => true, afterRV: r1, initial: false, signal: w.signal }), 1);
    assert.equal(events[0]!.object!.obj.metadata?.name, 'two');
    cache.truncate(r1 + 1);
    assert.throws(() => cms.watch({ keyPrefix: '/registry/configmaps/', predicate: () => true, afterRV: r1, initial: false, signal: w.signal }), TooOldResourceVersionError);
    w.abort();
    ac.abort();
  });

  test('waitForRevision times out on a revision storage never reached', async () => {
    const { cache, ac } = await setup();
    await cache.start(ac.signal);
    await assert.rejects(cache.waitForRevision(cache.revision + 100, 20), /Too large resource version/);
    ac.abort();
  });

  test('keeps following deletes and creates across a storage compaction', async () => {
    const { backend, cache, cms, ac } = await setup();
    await backend.create(key('a', 'gone'), enc(cm('a', 'gone')));
    await cache.start(ac.signal);
    assert.equal(cms.items.size, 1);
    const kv = (await backend.get(key('a', 'gone')))!;
    await backend.delete(key('a', 'gone'), kv.modRevision);
    const rev = await backend.create(key('a', 'new'), enc(cm('a', 'new')));
    await backend.compact(rev);
    await cache.sync();
    assert.deepEqual([...cms.items.values()].map((c) => c.obj.metadata?.name), ['new']);
    ac.abort();
  });
});

describe('storedJsonWithRV', () => {
  test('puts the resourceVersion into the top-level metadata only', async () => {
    const { storedJsonWithRV } = await import('./watchcache.ts');
    const first = storedJsonWithRV(enc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { x: '"metadata":{' } }), 7);
    assert.deepEqual(JSON.parse(first!.toString()), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: '7', name: 'a' }, data: { x: '"metadata":{' } });
    const empty = storedJsonWithRV(enc({ kind: 'X', metadata: {} }), 3);
    assert.deepEqual(JSON.parse(empty!.toString()), { kind: 'X', metadata: { resourceVersion: '3' } });
    // A nested metadata before the object's own (older layouts) is not mistaken for it.
    assert.equal(storedJsonWithRV(enc({ spec: { template: { metadata: {} } }, metadata: { name: 'a' } }), 3), undefined);
  });
});

describe('WatchCache.registerLive', () => {
  test('a prefix registered while running loads what exists and follows what comes', async () => {
    const { backend, cache, ac } = await setup();
    await backend.create('/registry/example.com/widgets/a/one', enc({ kind: 'Widget', metadata: { name: 'one', namespace: 'a' } }));
    await cache.start(ac.signal);
    const widgets = await cache.registerLive('/registry/example.com/widgets/');
    assert.deepEqual([...widgets.items.values()].map((c) => c.obj.metadata?.name), ['one']);
    await backend.create('/registry/example.com/widgets/a/two', enc({ kind: 'Widget', metadata: { name: 'two', namespace: 'a' } }));
    await cache.sync();
    assert.deepEqual(widgets.list('/registry/example.com/widgets/', () => true).items.map((c) => c.obj.metadata?.name), ['one', 'two']);
    cache.unregister('/registry/example.com/widgets/');
    await backend.create('/registry/example.com/widgets/a/three', enc({ kind: 'Widget', metadata: { name: 'three', namespace: 'a' } }));
    await cache.sync();
    assert.equal(widgets.items.size, 2);
    ac.abort();
  });
});
