import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/types.ts';
import { chargeRequest, ResourceQuotaAdmission } from './resourcequota.ts';
import { EvaluatorRegistry } from './quota.ts';
import { attrs, MemoryObjects, pod, statusErrorOf } from './testutil.ts';

const RQ = { group: '', resource: 'resourcequotas' };
const registry = new EvaluatorRegistry();
const pods = registry.get({ group: '', resource: 'pods' })!;
const services = registry.get({ group: '', resource: 'services' })!;

function quota(name: string, hard: Record<string, string>, used: Record<string, string> | undefined, spec: Record<string, unknown> = {}): KObject {
  return { metadata: { name, namespace: 'ns', resourceVersion: '1' }, spec: { hard, ...spec }, status: { hard, ...(used ? { used } : {}) } };
}

const cpuPod = (name: string, cpu: string) => pod(name, [{ name: 'c', requests: { cpu, memory: '1Mi' }, limits: { cpu, memory: '1Mi' } }]);

describe('ResourceQuota admission: charging a request', () => {
  it('refuses what exceeds a quota with upstream message', () => {
    const q = [quota('q', { pods: '2' }, { pods: '2' })];
    assert.throws(() => chargeRequest(q, attrs('pods', 'CREATE', pod('p3', [{ name: 'c' }])), pods), {
      message: 'pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    });
    const cpu = [quota('compute', { cpu: '2', pods: '10' }, { cpu: '1', pods: '1' })];
    assert.throws(() => chargeRequest(cpu, attrs('pods', 'CREATE', cpuPod('x', '2')), pods), {
      message: 'pods "x" is forbidden: exceeded quota: compute, requested: cpu=2, used: cpu=1, limited: cpu=2',
    });
  });

  it('adds the request to status.used of every quota that covers it', () => {
    const q = [quota('a', { pods: '5', 'requests.cpu': '4' }, { pods: '1', 'requests.cpu': '500m' }), quota('b', { secrets: '3' }, { secrets: '0' })];
    const out = chargeRequest(q, attrs('pods', 'CREATE', cpuPod('p', '1500m')), pods);
    assert.deepEqual(out[0]!['status'].used, { pods: '2', 'requests.cpu': '2' });
    assert.equal(out[1], q[1], 'a quota on secrets is not touched by a pod');
  });

  it('asks for the compute resources a quota tracks, per container', () => {
    const q = [quota('q', { 'limits.cpu': '4', 'requests.memory': '1Gi' }, { 'limits.cpu': '0', 'requests.memory': '0' })];
    const p = pod('p', [{ name: 'b', requests: { memory: '1Mi' } }, { name: 'a' }]);
    assert.throws(() => chargeRequest(q, attrs('pods', 'CREATE', p), pods), { message: 'pods "p" is forbidden: failed quota: q: must specify limits.cpu for: a,b; requests.memory for: a' });
  });

  it('refuses while a quota has no usage computed yet, and ignores quotas without status', () => {
    assert.throws(() => chargeRequest([quota('q', { pods: '2' }, undefined)], attrs('pods', 'CREATE', pod('p', [{ name: 'c' }])), pods), {
      message: 'pods "p" is forbidden: status unknown for quota: q, resources: pods',
    });
    const fresh: KObject = { metadata: { name: 'q', namespace: 'ns' }, spec: { hard: { pods: '1' } } };
    assert.deepEqual(chargeRequest([fresh], attrs('pods', 'CREATE', pod('p', [{ name: 'c' }])), pods), [fresh]);
  });

  it('charges only quotas whose scopes the object is in', () => {
    const q = [quota('be', { pods: '1' }, { pods: '1' }, { scopes: ['BestEffort'] }), quota('all', { pods: '5' }, { pods: '1' })];
    const out = chargeRequest(q, attrs('pods', 'CREATE', cpuPod('p', '1')), pods);
    assert.equal(out[0], q[0]);
    assert.deepEqual(out[1]!['status'].used, { pods: '2' });
    const byClass = [quota('gold', { pods: '1' }, { pods: '1' }, { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['gold'] }] } })];
    assert.throws(() => chargeRequest(byClass, attrs('pods', 'CREATE', pod('g', [{ name: 'c' }], { priorityClassName: 'gold' })), pods), /exceeded quota: gold/);
    assert.equal(chargeRequest(byClass, attrs('pods', 'CREATE', pod('s', [{ name: 'c' }], { priorityClassName: 'silver' })), pods)[0], byClass[0]);
  });

  it('charges an update by what it adds (a Service becoming a NodePort)', () => {
    const q = [quota('q', { 'services.nodeports': '1', services: '5' }, { 'services.nodeports': '0', services: '1' })];
    const old: KObject = { metadata: { name: 's', namespace: 'ns', resourceVersion: '7' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } };
    const next: KObject = { metadata: { name: 's', namespace: 'ns', resourceVersion: '7' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } };
    const out = chargeRequest(q, { ...attrs('services', 'UPDATE', next), oldObject: old }, services);
    assert.deepEqual(out[0]!['status'].used, { 'services.nodeports': '1', services: '1' });
    const two: KObject = { ...next, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } };
    assert.throws(() => chargeRequest(q, { ...attrs('services', 'UPDATE', two), oldObject: old }, services), {
      message: 'services "s" is forbidden: exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1',
    });
  });
});

describe('ResourceQuota admission plugin', () => {
  it('writes the charge to the quota status, but not for a dry run', async () => {
    const objects = new MemoryObjects();
    objects.put(RQ, quota('q', { pods: '2' }, { pods: '0' }));
    const plugin = new ResourceQuotaAdmission(objects);
    await plugin.validate(attrs('pods', 'CREATE', pod('dry', [{ name: 'c' }]), { dryRun: true }));
    assert.equal(objects.statusWrites.length, 0);
    await plugin.validate(attrs('pods', 'CREATE', pod('p1', [{ name: 'c' }])));
    await plugin.validate(attrs('pods', 'CREATE', pod('p2', [{ name: 'c' }])));
    assert.deepEqual(objects.get(RQ, 'ns', 'q')!['status'].used, { pods: '2' });
    const err = await statusErrorOf(() => plugin.validate(attrs('pods', 'CREATE', pod('p3', [{ name: 'c' }]))));
    assert.equal(err.code, 403);
    assert.equal(err.message, 'pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
  });

  it('charges one request at a time per namespace, so concurrent creates cannot overshoot', async () => {
    const objects = new MemoryObjects();
    objects.put(RQ, quota('q', { pods: '3' }, { pods: '0' }));
    const plugin = new ResourceQuotaAdmission(objects);
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => plugin.validate(attrs('pods', 'CREATE', pod(`p${i}`, [{ name: 'c' }])))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    assert.deepEqual(objects.get(RQ, 'ns', 'q')!['status'].used, { pods: '3' });
  });

  it('checks again against fresh quotas when a status write conflicts', async () => {
    const objects = new MemoryObjects();
    objects.put(RQ, quota('q', { pods: '2' }, { pods: '0' }));
    objects.conflicts = 1;
    await new ResourceQuotaAdmission(objects).validate(attrs('pods', 'CREATE', pod('p', [{ name: 'c' }])));
    assert.deepEqual(objects.get(RQ, 'ns', 'q')!['status'].used, { pods: '1' });
    assert.equal(objects.statusWrites.length, 1);
  });

  it('leaves namespaces without quotas and uncounted operations alone', async () => {
    const objects = new MemoryObjects();
    objects.put(RQ, quota('q', { pods: '0' }, { pods: '0' }));
    const plugin = new ResourceQuotaAdmission(objects);
    await plugin.validate(attrs('pods', 'CREATE', { ...pod('p', [{ name: 'c' }]), metadata: { name: 'p', namespace: 'other' } }));
    await plugin.validate({ ...attrs('pods', 'UPDATE', pod('p', [{ name: 'c' }]), { subresource: 'status' }), oldObject: pod('p', [{ name: 'c' }]) });
    await plugin.validate(attrs('events', 'CREATE', { metadata: { name: 'e', namespace: 'ns' } }));
    assert.equal(objects.statusWrites.length, 0);
  });
});
