// @kubernetes/client-node's informer against `skiff server`: add, update and delete events, and recovery from 410 Gone by re-listing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, makeInformer, type ListWatch, type V1ConfigMap } from '@kubernetes/client-node';
import { eventually, startSkiffServer, watchEvents, type SkiffServer } from '../support/server.ts';

const namespace = 'informer';
// A compaction window small enough that a dozen writes push an informer's resourceVersion out of it. There is no admin
// endpoint to compact, so the 410 step restarts `skiff server` with these two flags.
const compactionFlags = ['--storage-compaction-interval', '1s', '--storage-compaction-keep', '10'];

interface Seen {
  verb: 'add' | 'update' | 'delete';
  name: string;
  resourceVersion: string;
}

void describe('client-node informer against skiff server', { timeout: 5 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;
  let api: CoreV1Api;
  // makeInformer builds a ListWatch; its latestResourceVersion() is what the 410 step needs.
  let informer: ListWatch<V1ConfigMap>;
  let lists = 0;
  let connects = 0;
  const seen: Seen[] = [];
  const errors: unknown[] = [];

  const saw = (verb: Seen['verb'], name: string, resourceVersion?: string) =>
    seen.some((s) => s.verb === verb && s.name === name && (resourceVersion === undefined || s.resourceVersion === resourceVersion));
  const waitFor = (what: string, condition: () => boolean) =>
    eventually(what, () => (condition() ? true : undefined), { timeoutMs: 30_000 }).catch((error: unknown) => {
      throw new Error(`${String(error)}\nseen: ${JSON.stringify(seen)}\nerrors: ${errors.map(String).join('; ')}\nserver output:\n${server.output()}`);
    });
  const cacheState = () =>
    informer
      .list(namespace)
      .map((cm) => `${cm.metadata?.name}@${cm.metadata?.resourceVersion}`)
      .sort();
  const serverState = async () =>
    (await api.listNamespacedConfigMap({ namespace })).items.map((cm) => `${cm.metadata?.name}@${cm.metadata?.resourceVersion}`).sort();
  const create = (name: string, data: Record<string, string> = {}) => api.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data } });

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite', signal: abort.signal });
    const kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfig);
    api = kc.makeApiClient(CoreV1Api);
    await api.createNamespace({ body: { metadata: { name: namespace } } });
    informer = makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, () => {
      lists++;
      return api.listNamespacedConfigMap({ namespace });
    }) as ListWatch<V1ConfigMap>;
    informer.on('add', (cm) => seen.push({ verb: 'add', name: cm.metadata?.name ?? '', resourceVersion: cm.metadata?.resourceVersion ?? '' }));
    informer.on('update', (cm) => seen.push({ verb: 'update', name: cm.metadata?.name ?? '', resourceVersion: cm.metadata?.resourceVersion ?? '' }));
    informer.on('delete', (cm) => seen.push({ verb: 'delete', name: cm.metadata?.name ?? '', resourceVersion: cm.metadata?.resourceVersion ?? '' }));
    informer.on('error', (error) => errors.push(error));
    informer.on('connect', () => connects++);
    await informer.start();
  });
  after(async () => {
    try {
      await informer?.stop();
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('sees adds, updates and deletes', async () => {
    const created = await create('first', { a: '1' });
    await waitFor('add of first', () => saw('add', 'first', created.metadata?.resourceVersion));
    const updated = await api.replaceNamespacedConfigMap({ namespace, name: 'first', body: { ...created, data: { a: '2' } } });
    await waitFor('update of first', () => saw('update', 'first', updated.metadata?.resourceVersion));
    assert.deepEqual(informer.get('first', namespace)?.data, { a: '2' });
    await api.deleteNamespacedConfigMap({ namespace, name: 'first' });
    await waitFor('delete of first', () => saw('delete', 'first'));
    assert.equal(informer.get('first', namespace), undefined);
    assert.equal(lists, 1, 'one LIST, then events from the watch');
    // client-node's start() awaits the watch's response headers and gives up after 30 s of silence: a second connect
    // here means the server held back the headers of a watch until its first event.
    assert.equal(connects, 1, 'the first watch connected at once (headers sent before any event)');
    assert.deepEqual(errors, []);
  });

  void it('recovers from 410 Gone by re-listing', async () => {
    const keep = await create('keep', { v: '0' });
    await create('doomed');
    await waitFor('adds of keep and doomed', () => saw('add', 'keep') && saw('add', 'doomed'));
    const staleVersion = informer.latestResourceVersion();
    assert.match(staleVersion, /^\d+$/);

    // Stop the informer's watch; stopping aborts the request, which the informer reports as an error.
    const errorsBefore = errors.length;
    await informer.stop();
    await eventually('the aborted watch to be reported', () => (errors.length > errorsBefore ? true : undefined), { timeoutMs: 5_000 }).catch(() => true);

    // Same data dir and port, now compacting every second down to the last 10 revisions.
    await server.restart({ extraArgs: compactionFlags });

    // More than the compaction window of writes while nobody watches.
    let latest = keep;
    for (let i = 1; i <= 12; i++) {
      latest = await api.replaceNamespacedConfigMap({ namespace, name: 'keep', body: { ...latest, data: { v: String(i) } } });
    }
    for (let i = 0; i < 5; i++) await create(`later-${i}`);
    await api.deleteNamespacedConfigMap({ namespace, name: 'doomed' });

    // The server compacts on its own schedule: wait until a watch from the informer's revision is answered with 410.
    await eventually(
      'compaction past the informer resourceVersion',
      async () => {
        const probe = await watchEvents(server, `/api/v1/namespaces/${namespace}/configmaps?watch=true&resourceVersion=${staleVersion}&timeoutSeconds=2`, {
          maxEvents: 1,
          timeoutMs: 5_000,
        });
        const first = probe.events[0];
        return probe.status === 410 || (first?.type === 'ERROR' && first.object?.code === 410) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    const listsBefore = lists;
    const connectsBefore = connects;
    errors.length = 0;
    await informer.start();
    await waitFor('a re-list after 410', () => lists > listsBefore);
    await eventually('the informer cache to match the server', async () => (JSON.stringify(cacheState()) === JSON.stringify(await serverState()) ? true : undefined), {
      timeoutMs: 30_000,
    }).catch(() => undefined);
    assert.deepEqual(cacheState(), await serverState());
    assert.ok(connects >= connectsBefore + 2, `the informer reconnected after the 410 (connects ${connectsBefore} → ${connects})`);
    assert.equal(informer.get('keep', namespace)?.data?.['v'], '12');
    assert.equal(informer.get('doomed', namespace), undefined);
    assert.ok(saw('delete', 'doomed'), 'the re-list reports the object deleted while the watch was down');
    for (let i = 0; i < 5; i++) assert.ok(saw('add', `later-${i}`));
    assert.equal(latest.metadata?.resourceVersion, informer.get('keep', namespace)?.metadata?.resourceVersion);

    // And the watch that follows the re-list is live.
    const after = await create('after-relist');
    await waitFor('add after the re-list', () => saw('add', 'after-relist', after.metadata?.resourceVersion));
  });
});
