// Deletion propagation: the finalizer rules on their own, then through the API server (no garbage collector runs,
// so the finalizers it would act on stay visible).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { request, type SkiffServer } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { ApiError, isNotFound } from '../client/errors.ts';
import { defaultGarbageCollectionPolicy, deletionFinalizers, validatePropagation } from './propagation.ts';

const finalizers = (obj: KubeObject): string[] => (obj.metadata?.['finalizers'] as string[] | undefined) ?? [];

describe('deletion propagation rules', () => {
  it('defaults by resource and version: Jobs and ReplicationControllers orphan, events take no part, the rest cascade', () => {
    assert.equal(defaultGarbageCollectionPolicy({ group: 'batch', version: 'v1', plural: 'jobs' }), 'OrphanDependents');
    assert.equal(defaultGarbageCollectionPolicy({ group: '', version: 'v1', plural: 'replicationcontrollers' }), 'OrphanDependents');
    assert.equal(defaultGarbageCollectionPolicy({ group: 'batch', version: 'v1', plural: 'cronjobs' }), 'DeleteDependents');
    assert.equal(defaultGarbageCollectionPolicy({ group: 'apps', version: 'v1', plural: 'deployments' }), 'DeleteDependents');
    assert.equal(defaultGarbageCollectionPolicy({ group: 'extensions', version: 'v1beta1', plural: 'replicasets' }), 'OrphanDependents');
    assert.equal(defaultGarbageCollectionPolicy({ group: '', version: 'v1', plural: 'events' }), 'Unsupported');
    assert.equal(defaultGarbageCollectionPolicy({ group: 'events.k8s.io', version: 'v1', plural: 'events' }), 'Unsupported');
    assert.equal(defaultGarbageCollectionPolicy({ group: 'example.com', version: 'v1', plural: 'widgets' }), 'DeleteDependents');
  });

  it('the request wins over earlier finalizers, which win over the default', () => {
    assert.deepEqual(deletionFinalizers('DeleteDependents', [], { propagationPolicy: 'Foreground' }), { changed: true, finalizers: ['foregroundDeletion'] });
    assert.deepEqual(deletionFinalizers('DeleteDependents', ['a', 'orphan'], { propagationPolicy: 'Foreground' }), { changed: true, finalizers: ['a', 'foregroundDeletion'] });
    assert.deepEqual(deletionFinalizers('DeleteDependents', ['foregroundDeletion'], { propagationPolicy: 'Background' }), { changed: true, finalizers: [] });
    assert.deepEqual(deletionFinalizers('OrphanDependents', ['foregroundDeletion'], {}), { changed: false, finalizers: ['foregroundDeletion'] });
    assert.deepEqual(deletionFinalizers('OrphanDependents', [], {}), { changed: true, finalizers: ['orphan'] });
    assert.deepEqual(deletionFinalizers('DeleteDependents', [], { orphanDependents: true }), { changed: true, finalizers: ['orphan'] });
    assert.deepEqual(deletionFinalizers('OrphanDependents', ['orphan'], { orphanDependents: false }), { changed: true, finalizers: [] });
    assert.deepEqual(deletionFinalizers('Unsupported', ['x'], { propagationPolicy: 'Foreground' }), { changed: false, finalizers: ['x'] });
  });

  it('orphanDependents and propagationPolicy together are invalid', () => {
    assert.deepEqual(
      validatePropagation({ orphanDependents: true, propagationPolicy: 'Foreground' }).map((p) => p.message),
      ['propagationPolicy: Invalid value: "Foreground": orphanDependents and deletionPropagation cannot be both set'],
    );
    assert.deepEqual(validatePropagation({ propagationPolicy: 'Background' }), []);
  });
});

describe('deletion propagation through the API server', { timeout: 60_000 }, () => {
  let cluster: TestCluster;
  const ns = 'propagation';
  before(async () => {
    cluster = await startTestCluster();
    await cluster.client.create(gvr.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });
  after(() => cluster?.stop());

  const configMap = (name: string, extra: Record<string, unknown> = {}) =>
    cluster.client.create(gvr.configmaps, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra } });
  const exists = async (name: string) => {
    try {
      return await cluster.client.get(gvr.configmaps, ns, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  it('Orphan and Foreground mark the object with their finalizer; a later delete swaps it; Background then removes it', async () => {
    await configMap('swap');
    const orphaned = await cluster.client.delete(gvr.configmaps, ns, 'swap', { propagationPolicy: 'Orphan' });
    assert.deepEqual(finalizers(orphaned), ['orphan']);
    assert.ok(orphaned.metadata?.['deletionTimestamp']);
    assert.equal(orphaned.metadata?.['deletionGracePeriodSeconds'], 0);
    assert.ok(await exists('swap'), 'an object waiting to orphan its dependents stays');

    const foreground = await cluster.client.delete(gvr.configmaps, ns, 'swap', { propagationPolicy: 'Foreground' });
    assert.deepEqual(finalizers(foreground), ['foregroundDeletion']);
    assert.equal(foreground.metadata?.['deletionTimestamp'], orphaned.metadata?.['deletionTimestamp'], 'the first deletionTimestamp stands');

    const again = await cluster.client.delete(gvr.configmaps, ns, 'swap');
    assert.deepEqual(finalizers(again), ['foregroundDeletion'], 'no policy: the earlier choice stands');

    await cluster.client.delete(gvr.configmaps, ns, 'swap', { propagationPolicy: 'Background' });
    assert.equal(await exists('swap'), undefined, 'with no finalizer left, Background deletes at once');
  });

  it('keeps other finalizers, and adds the policy’s next to them', async () => {
    await configMap('held', { finalizers: ['example.com/hold'] });
    const marked = await cluster.client.delete(gvr.configmaps, ns, 'held');
    assert.deepEqual(finalizers(marked), ['example.com/hold']);
    const orphaned = await cluster.client.delete(gvr.configmaps, ns, 'held', { propagationPolicy: 'Orphan' });
    assert.deepEqual(finalizers(orphaned), ['example.com/hold', 'orphan']);
    await cluster.client.delete(gvr.configmaps, ns, 'held', { propagationPolicy: 'Background' });
    const kept = await cluster.client.get(gvr.configmaps, ns, 'held');
    assert.deepEqual(finalizers(kept), ['example.com/hold']);
    await cluster.client.patch(gvr.configmaps, ns, 'held', 'merge', { metadata: { finalizers: null } });
    assert.equal(await exists('held'), undefined);
  });

  it('legacy orphanDependents: true orphans; with a propagationPolicy as well it is refused', async () => {
    await configMap('legacy');
    const answer = await cluster.client.transport.request({ method: 'DELETE', path: `/api/v1/namespaces/${ns}/configmaps/legacy`, query: { orphanDependents: 'true' } });
    assert.deepEqual(finalizers(answer.body as KubeObject), ['orphan']);
    await assert.rejects(
      cluster.client.transport.request({ method: 'DELETE', path: `/api/v1/namespaces/${ns}/configmaps/legacy`, body: { kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: false, propagationPolicy: 'Background' } }),
      (err: unknown) => err instanceof ApiError && err.code === 422 && /orphanDependents and deletionPropagation cannot be both set/.test(err.message),
    );
  });

  it('a batch/v1 Job deleted without a policy orphans its pods by default, with upstream’s warning', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'job' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    await cluster.client.create(gvr.jobs, ns, job);
    const server = { url: cluster.url, kubeconfig: cluster.kubeconfig } as unknown as SkiffServer;
    const res = await request(server, { method: 'DELETE', path: `/apis/batch/v1/namespaces/${ns}/jobs/job` });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json.metadata.finalizers, ['orphan']);
    assert.equal(res.headers['warning'], '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"');

    await cluster.client.create(gvr.jobs, ns, { ...job, metadata: { name: 'job-2' } });
    const background = await request(server, { method: 'DELETE', path: `/apis/batch/v1/namespaces/${ns}/jobs/job-2?propagationPolicy=Background` });
    assert.equal(background.status, 200, background.body);
    assert.equal(background.headers['warning'], undefined);
    assert.equal(background.json.kind, 'Status', 'Background deletes a Job at once');
  });

  it('events never get garbage-collection finalizers', async () => {
    await cluster.client.create(gvr.events, ns, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'ev' },
      involvedObject: { kind: 'ConfigMap', namespace: ns, name: 'x' },
      reason: 'Test',
      message: 'm',
      type: 'Normal',
    });
    await cluster.client.delete(gvr.events, ns, 'ev', { propagationPolicy: 'Foreground' });
    await assert.rejects(cluster.client.get(gvr.events, ns, 'ev'), (err: unknown) => isNotFound(err));
  });
});
