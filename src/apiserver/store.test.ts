import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryBackend } from '../storage/memory.ts';
import { newRegistry, storagePrefix } from '../api/registry.ts';
import type { KObject } from '../api/types.ts';
import { WatchCache } from './watchcache.ts';
import { ResourceStore, type StoreContext } from './store.ts';
import { StatusError } from './status.ts';

async function setup() {
  const backend = new MemoryBackend();
  await backend.start();
  const registry = newRegistry();
  const cache = new WatchCache(backend);
  const ctx: StoreContext = { backend, strategy: {}, namespaces: () => undefined };
  const store = (group: string, plural: string) => {
    const t = registry.get(group, group ? 'v1' : 'v1', plural)!;
    return new ResourceStore(t, cache.register(storagePrefix(t)), ctx);
  };
  const configmaps = store('', 'configmaps');
  const deployments = store('apps', 'deployments');
  const pods = store('', 'pods');
  const ac = new AbortController();
  await cache.start(ac.signal);
  return { backend, configmaps, deployments, pods, ac };
}

const statusOf = async (p: Promise<unknown>): Promise<[number, string]> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return [err.code, err.reason];
    throw err;
  }
  return [0, ''];
};

describe('ResourceStore', () => {
  test('create fills metadata, refuses duplicates, and records the writer in managedFields', async () => {
    const { configmaps, ac } = await setup();
    const cm = await configmaps.create('default', { metadata: { name: 'a', labels: {} }, data: { k: 'v' } }, { manager: 'tester' });
    assert.equal(cm.apiVersion, 'v1');
    assert.equal(cm.kind, 'ConfigMap');
    assert.match(cm.metadata!.uid!, /^[0-9a-f-]{36}$/);
    assert.match(cm.metadata!.resourceVersion!, /^\d+$/);
    assert.equal(cm.metadata!.labels, undefined, 'an empty labels map is left out, as Go writes it');
    assert.equal(cm.metadata!.managedFields?.[0]?.['manager'], 'tester');
    assert.deepEqual(await statusOf(configmaps.create('default', { metadata: { name: 'a' } })), [409, 'AlreadyExists']);
    const named = await configmaps.create('default', { metadata: { generateName: 'gen-' } });
    assert.match(named.metadata!.name!, /^gen-[a-z0-9]{5}$/);
    ac.abort();
  });

  test('updates: conflicts on a stale resourceVersion, no write when nothing changes, generation counts spec changes', async () => {
    const { deployments, ac } = await setup();
    const spec = { replicas: 1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } };
    const d = await deployments.create('default', { metadata: { name: 'd' }, spec } as KObject);
    assert.equal(d.metadata!.generation, 1);
    const same = await deployments.update('default', 'd', { ...d }, '');
    assert.equal(same.metadata!.resourceVersion, d.metadata!.resourceVersion, 'an update that changes nothing is not written');
    const scaled = await deployments.guaranteedUpdate('default', 'd', (cur) => ({ ...cur, spec: { ...cur['spec'], replicas: 3 } }));
    assert.equal(scaled.metadata!.generation, 2);
    const labelled = await deployments.guaranteedUpdate('default', 'd', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { a: 'b' } } }));
    assert.equal(labelled.metadata!.generation, 2, 'metadata changes do not bump the generation');
    assert.deepEqual(await statusOf(deployments.update('default', 'd', { ...d }, '')), [409, 'Conflict']);
    // Status goes through /status only.
    const withStatus = await deployments.update('default', 'd', { ...labelled, status: { replicas: 3 } }, 'status');
    assert.deepEqual(withStatus['status'], { replicas: 3 });
    const ignored = await deployments.guaranteedUpdate('default', 'd', (cur) => ({ ...cur, status: { replicas: 9 } }));
    assert.deepEqual(ignored['status'], { replicas: 3 });
    ac.abort();
  });

  test('an object with finalizers is marked, and goes when the last finalizer is removed', async () => {
    const { configmaps, backend, ac } = await setup();
    await configmaps.create('default', { metadata: { name: 'f', finalizers: ['example.com/hold'] } });
    const first = await configmaps.delete('default', 'f');
    assert.equal(first.deleted, false);
    assert.ok(first.obj.metadata!.deletionTimestamp);
    assert.deepEqual(await statusOf(configmaps.guaranteedUpdate('default', 'f', (cur) => ({ ...cur, metadata: { ...cur.metadata, finalizers: ['example.com/hold', 'new'] } }))), [422, 'Invalid']);
    await configmaps.guaranteedUpdate('default', 'f', (cur) => ({ ...cur, metadata: { ...cur.metadata, finalizers: [] } }));
    assert.equal(await backend.get('/registry/configmaps/default/f'), undefined);
    ac.abort();
  });

  test('a bound pod is deleted gracefully; an unbound one at once', async () => {
    const { pods, backend, ac } = await setup();
    const spec = (nodeName?: string) => ({ containers: [{ name: 'c', image: 'nginx' }], ...(nodeName ? { nodeName } : {}) });
    await pods.create('default', { metadata: { name: 'bound' }, spec: spec('node-1') } as KObject);
    await pods.create('default', { metadata: { name: 'free' }, spec: spec() } as KObject);
    const bound = await pods.delete('default', 'bound');
    assert.equal(bound.deleted, false);
    assert.equal(bound.obj.metadata!.deletionGracePeriodSeconds, 30);
    assert.equal((await pods.delete('default', 'free')).deleted, true);
    assert.equal((await pods.delete('default', 'bound', { gracePeriodSeconds: 0 })).deleted, true);
    assert.equal(await backend.get('/registry/pods/default/bound'), undefined);
    ac.abort();
  });
});

describe('ResourceStore: namespaces', () => {
  test('a deleted namespace stays until its spec.finalizers are gone, whatever else is written', async () => {
    const backend = new MemoryBackend();
    await backend.start();
    const registry = newRegistry();
    const cache = new WatchCache(backend);
    const t = registry.get('', 'v1', 'namespaces')!;
    const namespaces = new ResourceStore(t, cache.register(storagePrefix(t)), { backend, strategy: {}, namespaces: () => undefined });
    const ac = new AbortController();
    await cache.start(ac.signal);
    await namespaces.create('', { metadata: { name: 'ns1' } });
    const marked = await namespaces.delete('', 'ns1');
    assert.equal(marked.deleted, false);
    assert.equal(marked.obj['status']?.phase, 'Terminating');
    await namespaces.guaranteedUpdate('', 'ns1', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { a: 'b' } } }));
    assert.ok(await backend.get('/registry/namespaces/ns1'), 'a label change must not finish the deletion');
    // The main resource cannot drop spec.finalizers; /finalize can, and that finishes the deletion.
    await namespaces.guaranteedUpdate('', 'ns1', (cur) => ({ ...cur, spec: { finalizers: [] } }));
    assert.ok(await backend.get('/registry/namespaces/ns1'));
    await namespaces.guaranteedUpdate('', 'ns1', (cur) => ({ ...cur, spec: { finalizers: [] } }), { subresource: 'finalize' });
    assert.equal(await backend.get('/registry/namespaces/ns1'), undefined);
    ac.abort();
  });
});
