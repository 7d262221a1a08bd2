// The resourcequota controller against the real API server: status mirrors spec.hard and counts what is really there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { ResourceQuotaController } from './resourcequota.ts';

type Obj = KubeObject & Record<string, any>;

describe('ResourceQuotaController', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ controllers: { resourcequota: (ctx) => new ResourceQuotaController(ctx) } });
    await cluster.client.create(gvr.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  });
  after(() => cluster?.stop());

  const pod = (name: string, cpu: string): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu }, limits: { cpu } } }] },
  });
  const status = async (name: string) => (await cluster.client.get<Obj>(gvr.resourcequotas, 'team', name))['status'] as { hard?: Record<string, string>; used?: Record<string, string> } | undefined;
  const usedBecomes = (name: string, want: Record<string, string>) =>
    eventually(`quota ${name} used to be ${JSON.stringify(want)}`, async () => {
      const used = (await status(name))?.used;
      assert.deepEqual(used, want);
      return true;
    });

  it('fills status.hard and status.used from what the namespace already holds', async () => {
    await cluster.client.create(gvr.pods, 'team', pod('a', '250m'));
    await cluster.client.create(gvr.pods, 'team', pod('b', '500m'));
    await cluster.client.create(gvr.services, 'team', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] } });
    await cluster.client.create(gvr.configmaps, 'team', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
    await cluster.client.create(gvr.deployments, 'team', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const hard = { pods: '10', 'requests.cpu': '4', 'services.nodeports': '5', configmaps: '10', 'count/deployments.apps': '3' };
    await cluster.client.create(gvr.resourcequotas, 'team', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'all' }, spec: { hard } });
    await usedBecomes('all', { configmaps: '1', 'count/deployments.apps': '1', pods: '2', 'requests.cpu': '750m', 'services.nodeports': '2' });
    assert.deepEqual((await status('all'))?.hard, hard);
  });

  it('lowers usage when a pod finishes or objects are deleted', async () => {
    const a = await cluster.client.get<Obj>(gvr.pods, 'team', 'a');
    await cluster.client.updateStatus(gvr.pods, 'team', { ...a, status: { ...a['status'], phase: 'Succeeded' } });
    await usedBecomes('all', { configmaps: '1', 'count/deployments.apps': '1', pods: '1', 'requests.cpu': '500m', 'services.nodeports': '2' });
    await cluster.client.delete(gvr.services, 'team', 'web');
    await cluster.client.delete(gvr.deployments, 'team', 'd');
    await usedBecomes('all', { configmaps: '1', 'count/deployments.apps': '0', pods: '1', 'requests.cpu': '500m', 'services.nodeports': '0' });
  });

  it('follows spec.hard changes, within the quota scopes', async () => {
    await cluster.client.create(gvr.resourcequotas, 'team', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'besteffort' }, spec: { hard: { pods: '5' }, scopes: ['BestEffort'] } });
    await usedBecomes('besteffort', { pods: '0' });
    const q = await cluster.client.get<Obj>(gvr.resourcequotas, 'team', 'besteffort');
    await cluster.client.update(gvr.resourcequotas, 'team', { ...q, spec: { ...q['spec'], hard: { pods: '5', 'count/pods': '9' } } });
    await eventually('status.hard to follow spec.hard', async () => {
      assert.deepEqual(await status('besteffort'), { hard: { pods: '5', 'count/pods': '9' }, used: { 'count/pods': '0', pods: '0' } });
      return true;
    });
  });
});
