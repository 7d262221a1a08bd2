// The informer against a real `skiff server`: events, a store matching LIST, recovery after a restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, readKubeconfig, startSkiffServer, type SkiffServer } from '../../test/support/server.ts';
import { Client, type KubeObject } from './client.ts';
import { ApiError, isAlreadyExists, isConflict, isGone, isNotFound } from './errors.ts';
import { Informer, objectKey } from './informer.ts';
import { httpsTransport, type Transport, type WatchEvent } from './transport.ts';

const configmaps = { group: '', version: 'v1', resource: 'configmaps' };
const namespaces = { group: '', version: 'v1', resource: 'namespaces' };
const ns = 'informer-test';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const cm = (name: string, value = 'v'): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { k: value } });

describe('Informer against skiff server', { timeout: 180_000 }, () => {
  let server: SkiffServer;
  let transport: Transport;
  let client: Client;
  const stop = new AbortController();

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite' });
    transport = httpsTransport(readKubeconfig(server.kubeconfig));
    client = new Client(transport);
    await client.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });

  after(async () => {
    stop.abort();
    await transport?.close();
    await server?.stop();
  });

  // Every namespace also gets kube-root-ca.crt from the root CA publisher; the test watches only its own objects.
  const OWN = 'metadata.name!=kube-root-ca.crt';

  /** The store's keys and resourceVersions, sorted, against a fresh LIST's. */
  async function storeMatchesList(informer: Informer<ConfigMap>): Promise<true | undefined> {
    const list = await client.list<ConfigMap>(configmaps, ns, { fieldSelector: OWN });
    const want = list.items.map((o) => `${objectKey(o)}@${o.metadata?.resourceVersion}`).sort();
    const have = informer.lister.list().map((o) => `${objectKey(o)}@${o.metadata?.resourceVersion}`).sort();
    return JSON.stringify(want) === JSON.stringify(have) ? true : undefined;
  }

  it('the client answers Status errors as ApiError with helpers', async () => {
    await client.create(configmaps, ns, cm('errors'));
    const notFound = await client.get(configmaps, ns, 'missing').catch((e: unknown) => e);
    assert.ok(notFound instanceof ApiError && isNotFound(notFound), String(notFound));
    assert.equal(notFound.code, 404);
    const exists = await client.create(configmaps, ns, cm('errors')).catch((e: unknown) => e);
    assert.ok(isAlreadyExists(exists), String(exists));
    const stale = await client.update(configmaps, ns, { ...cm('errors', 'x'), metadata: { name: 'errors', namespace: ns, resourceVersion: '1' } }).catch((e: unknown) => e);
    assert.ok(isConflict(stale), String(stale));
    const patched = await client.patch<ConfigMap>(configmaps, ns, 'errors', 'merge', { data: { k: 'patched' } });
    assert.equal(patched.data?.k, 'patched');
    const wrongUid = await client.delete(configmaps, ns, 'errors', { preconditions: { uid: 'not-its-uid' } }).catch((e: unknown) => e);
    assert.ok(isConflict(wrongUid), String(wrongUid));
    const badWatch = async () => {
      for await (const _event of client.watch(configmaps, ns, { labelSelector: '!!!' }, AbortSignal.timeout(10_000))) break;
    };
    await assert.rejects(badWatch(), (e: unknown) => e instanceof ApiError && e.code === 400);
    await client.delete(configmaps, ns, 'errors', { propagationPolicy: 'Background' });
    assert.ok(isNotFound(await client.get(configmaps, ns, 'errors').catch((e: unknown) => e)));
  });

  it('sees add, update and delete, keeps a store equal to LIST, and converges again after a server restart', async () => {
    await client.create(configmaps, ns, cm('before-start'));
    const problems: string[] = []; // failures the informer rode out, e.g. ECONNREFUSED while the server restarts
    const informer = new Informer<ConfigMap>(client, configmaps, { namespace: ns, fieldSelector: OWN, onError: (e) => problems.push(String(e)) });
    const added: string[] = [];
    const updated: Array<[string | undefined, string | undefined]> = [];
    const deleted: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => added.push(objectKey(o)),
      onUpdate: (o, n) => o.metadata?.resourceVersion !== n.metadata?.resourceVersion && updated.push([o.data?.k, n.data?.k]),
      onDelete: (o) => deleted.push(objectKey(o)),
    });
    const running = informer.start(stop.signal);
    await informer.waitForSync(AbortSignal.timeout(30_000));
    assert.ok(informer.hasSynced());
    assert.ok(informer.lister.get(`${ns}/before-start`), 'the initial LIST fills the store');
    assert.deepEqual(added, [`${ns}/before-start`]);

    await client.create(configmaps, ns, cm('a', '1'));
    await eventually('ADDED a', () => (added.includes(`${ns}/a`) ? true : undefined));
    const a = await client.get<ConfigMap>(configmaps, ns, 'a');
    await client.update(configmaps, ns, { ...a, data: { k: '2' } });
    await eventually('MODIFIED a', () => (updated.some(([o, n]) => o === '1' && n === '2') ? true : undefined));
    assert.equal(informer.lister.get(`${ns}/a`)?.data?.k, '2');
    await client.delete(configmaps, ns, 'before-start');
    await eventually('DELETED before-start', () => (deleted.includes(`${ns}/before-start`) ? true : undefined));
    assert.equal(informer.lister.get(`${ns}/before-start`), undefined);
    await eventually('store equal to LIST', () => storeMatchesList(informer));
    assert.deepEqual(informer.lister.list((o) => o.data?.k === '2').map(objectKey), [`${ns}/a`]);

    await server.restart();
    await client.create(configmaps, ns, cm('after-restart'));
    await client.delete(configmaps, ns, 'a');
    await eventually('store converges after restart', () => storeMatchesList(informer), { timeoutMs: 60_000, attempts: 600 });
    assert.ok(informer.lister.get(`${ns}/after-restart`));
    assert.equal(informer.lister.get(`${ns}/a`), undefined);
    assert.ok(deleted.includes(`${ns}/a`));

    // And it still follows changes on the new watch.
    await client.create(configmaps, ns, cm('later'));
    await eventually('ADDED later', () => (added.includes(`${ns}/later`) ? true : undefined));

    stop.abort();
    await running;
  });
});

/** A scripted Transport: LIST answers come from `lists`, each watch plays the next of `watches`. */
function scriptedTransport(lists: Array<() => KubeObject[]>, watches: WatchEvent[][], calls: string[]): Transport {
  let listCalls = 0;
  let watchCalls = 0;
  return {
    async request(req) {
      const items = (lists[Math.min(listCalls, lists.length - 1)] ?? (() => []))();
      listCalls++;
      calls.push(`LIST`);
      return { status: 200, body: { kind: 'ConfigMapList', metadata: { resourceVersion: String(10 * listCalls) }, items, path: req.path } };
    },
    async *watch(_path, query, signal) {
      calls.push(`WATCH rv=${String(query['resourceVersion'])}`);
      const events = watches[watchCalls++];
      if (!events) {
        // Nothing more scripted: hold the watch open until the test stops the informer.
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return;
      }
      yield* events;
    },
    async close() {},
  };
}

describe('Informer re-list and resume (scripted transport)', () => {
  const obj = (name: string, rv: string): KubeObject => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

  it('re-lists after a 410 ERROR event, resumes after a normal end from the last resourceVersion, and reports deletions found by the re-list', async () => {
    const calls: string[] = [];
    const transport = scriptedTransport(
      [() => [obj('a', '1'), obj('b', '2')], () => [obj('b', '12'), obj('c', '13')]],
      [
        // Ends normally after one event and a bookmark: resume from the bookmark.
        [{ type: 'MODIFIED', object: obj('a', '5') }, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } }],
        // Too old: re-list.
        [{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 7 (9)' } }],
      ],
      calls,
    );
    const errors: unknown[] = [];
    const informer = new Informer(new Client(transport), { group: '', version: 'v1', resource: 'configmaps' }, { namespace: 'ns', onError: (e) => errors.push(e) });
    const deleted: string[] = [];
    informer.addEventHandler({ onDelete: (o) => deleted.push(objectKey(o)) });
    const controller = new AbortController();
    const running = informer.start(controller.signal);
    await eventually('third watch', () => (calls.length >= 5 ? true : undefined));
    controller.abort();
    await running;
    assert.deepEqual(calls, ['LIST', 'WATCH rv=10', 'WATCH rv=7', 'LIST', 'WATCH rv=20']);
    assert.deepEqual(informer.lister.list().map(objectKey).sort(), ['ns/b', 'ns/c']);
    assert.deepEqual(deleted, ['ns/a']);
    assert.equal(informer.lister.get('ns/b')?.metadata?.resourceVersion, '12');
    assert.ok(errors.some((e) => isGone(e)), 'the 410 was reported as Gone');
  });
});
