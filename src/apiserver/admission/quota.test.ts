import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/types.ts';
import { calculateUsage, EvaluatorRegistry, podConstraints, podMatchesScope, podUsage, pvcUsage, serviceUsage } from './quota.ts';
import { resourceList, resourceListToJson } from './resources.ts';
import { pod } from './testutil.ts';

describe('quota evaluators', () => {
  it('charge a pod its containers, the largest init container and its overhead', () => {
    const p = pod('p', [
      { name: 'a', requests: { cpu: '250m', memory: '64Mi', 'example.com/gpu': '1', 'hugepages-2Mi': '4Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
      { name: 'b', requests: { cpu: '250m', 'ephemeral-storage': '1Gi' } },
    ]);
    p['spec'].initContainers = [{ name: 'init', resources: { requests: { cpu: '2' } } }];
    p['spec'].overhead = { cpu: '100m', memory: '10Mi' };
    assert.deepEqual(resourceListToJson(podUsage(p)), {
      'count/pods': '1',
      cpu: '2100m',
      'ephemeral-storage': '1Gi',
      'hugepages-2Mi': '4Mi',
      'limits.cpu': '600m',
      'limits.memory': '138Mi',
      memory: '74Mi',
      pods: '1',
      'requests.cpu': '2100m',
      'requests.ephemeral-storage': '1Gi',
      'requests.example.com/gpu': '1',
      'requests.hugepages-2Mi': '4Mi',
      'requests.memory': '74Mi',
    });
  });

  it('stop charging compute for finished pods and pods past their deletion grace period', () => {
    const done = { ...pod('p', [{ name: 'a', requests: { cpu: '1' } }]), status: { phase: 'Succeeded' } };
    assert.deepEqual(resourceListToJson(podUsage(done)), { 'count/pods': '1' });
    const deleting = pod('p', [{ name: 'a', requests: { cpu: '1' } }]);
    deleting.metadata = { ...deleting.metadata, deletionTimestamp: '2020-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 };
    assert.deepEqual(resourceListToJson(podUsage(deleting, Date.parse('2020-01-01T00:01:00Z'))), { 'count/pods': '1' });
    assert.equal(resourceListToJson(podUsage(deleting, Date.parse('2020-01-01T00:00:10Z')))['requests.cpu'], '1');
  });

  it("name the containers that leave out what a quota tracks", () => {
    const p = pod('p', [{ name: 'b', requests: { cpu: '1' } }, { name: 'a' }]);
    assert.equal(podConstraints(['limits.cpu', 'requests.memory', 'requests.cpu', 'pods'], p), 'must specify limits.cpu for: a,b; requests.cpu for: a; requests.memory for: a,b');
    assert.equal(podConstraints(['pods', 'requests.storage'], p), undefined);
  });

  it('match pods to scopes', () => {
    const besteffort = pod('p', [{ name: 'a' }], { priorityClassName: 'gold' });
    const burstable = pod('p', [{ name: 'a', requests: { cpu: '1' } }], { activeDeadlineSeconds: 10 });
    const scope = (scopeName: string, operator = 'Exists', values?: string[]) => ({ scopeName, operator, ...(values ? { values } : {}) });
    assert.deepEqual([podMatchesScope(scope('BestEffort'), besteffort), podMatchesScope(scope('BestEffort'), burstable)], [true, false]);
    assert.deepEqual([podMatchesScope(scope('NotBestEffort'), besteffort), podMatchesScope(scope('NotBestEffort'), burstable)], [false, true]);
    assert.deepEqual([podMatchesScope(scope('Terminating'), besteffort), podMatchesScope(scope('Terminating'), burstable)], [false, true]);
    assert.deepEqual([podMatchesScope(scope('NotTerminating'), besteffort), podMatchesScope(scope('NotTerminating'), burstable)], [true, false]);
    assert.deepEqual([podMatchesScope(scope('PriorityClass'), besteffort), podMatchesScope(scope('PriorityClass'), burstable)], [true, false]);
    assert.equal(podMatchesScope(scope('PriorityClass', 'In', ['gold', 'silver']), besteffort), true);
    assert.equal(podMatchesScope(scope('PriorityClass', 'NotIn', ['gold']), besteffort), false);
    assert.equal(podMatchesScope(scope('PriorityClass', 'NotIn', ['gold']), burstable), true);
    assert.equal(podMatchesScope(scope('PriorityClass', 'DoesNotExist'), burstable), true);
  });

  it('charge services for node ports and load balancers, claims for storage (by class too)', () => {
    const svc = (type: string): KObject => ({ metadata: { name: 's' }, spec: { type, ports: [{ port: 80 }, { port: 443 }] } });
    assert.deepEqual(resourceListToJson(serviceUsage(svc('ClusterIP'))), { 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '0' });
    assert.deepEqual(resourceListToJson(serviceUsage(svc('NodePort'))), { 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '2' });
    assert.equal(resourceListToJson(serviceUsage(svc('LoadBalancer')))['services.loadbalancers'], '1');
    const pvc: KObject = { metadata: { name: 'd' }, spec: { storageClassName: 'gold', resources: { requests: { storage: '1.5Gi' } } } };
    assert.deepEqual(resourceListToJson(pvcUsage(pvc)), {
      'count/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/requests.storage': '1536Mi',
      persistentvolumeclaims: '1',
      'requests.storage': '1536Mi',
    });
  });

  it('count any other resource as count/<resource>.<group>, and never events', () => {
    const registry = new EvaluatorRegistry();
    const deployments = registry.get({ group: 'apps', resource: 'deployments' })!;
    assert.deepEqual(deployments.matchingResources(['count/deployments.apps', 'pods']), ['count/deployments.apps']);
    assert.deepEqual(resourceListToJson(deployments.usage({})), { 'count/deployments.apps': '1' });
    assert.deepEqual(registry.get({ group: '', resource: 'configmaps' })!.matchingResources(['configmaps', 'count/configmaps', 'secrets']), ['configmaps', 'count/configmaps']);
    assert.equal(registry.get({ group: '', resource: 'events' }), undefined);
  });

  it("add up a namespace's usage of a quota's hard resources within its scopes", async () => {
    const quota: KObject = { metadata: { name: 'q', namespace: 'ns' }, spec: { scopes: ['NotBestEffort'] } };
    const hard = resourceList({ pods: '10', 'requests.cpu': '4', 'count/deployments.apps': '5', services: '3' });
    const objects: Record<string, KObject[]> = {
      '/pods': [pod('a', [{ name: 'c', requests: { cpu: '500m' } }]), pod('b', [{ name: 'c', requests: { cpu: '1' } }]), pod('be', [{ name: 'c' }])],
      'apps/deployments': [{ metadata: { name: 'd' } }],
      '/services': [{ metadata: { name: 's' }, spec: {} }],
    };
    const used = await calculateUsage(quota, hard, new EvaluatorRegistry(), async (gr) => objects[`${gr.group}/${gr.resource}`] ?? []);
    // Services and deployments have no scopes, so a scoped quota counts none of them.
    assert.deepEqual(resourceListToJson(used), { 'count/deployments.apps': '0', pods: '2', 'requests.cpu': '1500m', services: '0' });
    const unscoped = await calculateUsage({ metadata: { name: 'q' } }, hard, new EvaluatorRegistry(), async (gr) => objects[`${gr.group}/${gr.resource}`] ?? []);
    assert.deepEqual(resourceListToJson(unscoped), { 'count/deployments.apps': '1', pods: '3', 'requests.cpu': '1500m', services: '1' });
  });
});
