import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/types.ts';
import { LimitRanger } from './limitranger.ts';
import { attrs, MemoryObjects, pod, statusErrorOf } from './testutil.ts';

const LR = { group: '', resource: 'limitranges' };
const limitRange = (...limits: Array<Record<string, unknown>>): KObject => ({ metadata: { name: 'limits', namespace: 'ns' }, spec: { limits } });

function ranger(...limits: Array<Record<string, unknown>>): LimitRanger {
  const objects = new MemoryObjects();
  objects.put(LR, limitRange(...limits));
  return new LimitRanger(objects);
}

async function violation(plugin: LimitRanger, obj: KObject, resource = 'pods'): Promise<string> {
  return (await statusErrorOf(() => plugin.validate(attrs(resource, 'CREATE', obj)))).message;
}

describe('LimitRanger admission', () => {
  it('fills in container defaults and records them in the kubernetes.io/limit-ranger annotation', async () => {
    const plugin = ranger({ type: 'Container', default: { memory: '256Mi', cpu: '500m' }, defaultRequest: { cpu: '100m' } });
    const p = pod('p', [{ name: 'app' }, { name: 'side', requests: { cpu: '50m' } }]);
    p['spec'].initContainers = [{ name: 'init', image: 'busybox' }];
    await plugin.admit(attrs('pods', 'CREATE', p));
    assert.deepEqual(p['spec'].containers[0].resources, { limits: { memory: '256Mi', cpu: '500m' }, requests: { cpu: '100m' } });
    assert.deepEqual(p['spec'].containers[1].resources, { requests: { cpu: '50m' }, limits: { memory: '256Mi', cpu: '500m' } });
    assert.deepEqual(p['spec'].initContainers[0].resources, { limits: { memory: '256Mi', cpu: '500m' }, requests: { cpu: '100m' } });
    assert.equal(
      p.metadata?.annotations?.['kubernetes.io/limit-ranger'],
      'LimitRanger plugin set: cpu request for container app; cpu, memory limit for container app; cpu, memory limit for container side; cpu request for init container init; cpu, memory limit for init container init',
    );
  });

  it('sets nothing (and no annotation) when containers already say everything', async () => {
    const plugin = ranger({ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } });
    const p = pod('p', [{ name: 'app', requests: { cpu: '1' }, limits: { cpu: '1' } }]);
    await plugin.admit(attrs('pods', 'CREATE', p));
    assert.deepEqual(p['spec'].containers[0].resources, { requests: { cpu: '1' }, limits: { cpu: '1' } });
    assert.equal(p.metadata?.annotations, undefined);
  });

  it('bounds containers by min, max and maxLimitRequestRatio with upstream messages', async () => {
    const plugin = ranger({ type: 'Container', max: { cpu: '1' }, min: { memory: '100Mi' }, maxLimitRequestRatio: { cpu: '2' } });
    assert.equal(
      await violation(plugin, pod('p', [{ name: 'c', requests: { cpu: '500m', memory: '200Mi' }, limits: { cpu: '2' } }])),
      'pods "p" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000]',
    );
    assert.equal(
      await violation(plugin, pod('p', [{ name: 'c', requests: { cpu: '500m', memory: '50Mi' }, limits: { cpu: '1' } }])),
      'pods "p" is forbidden: minimum memory usage per Container is 100Mi, but request is 50Mi',
    );
    assert.equal(
      await violation(plugin, pod('p', [{ name: 'c', requests: { memory: '200Mi' } }])),
      'pods "p" is forbidden: [maximum cpu usage per Container is 1.  No limit is specified, cpu max limit to request ratio per Container is 2, but no request is specified or request is 0]',
    );
    await plugin.validate(attrs('pods', 'CREATE', pod('p', [{ name: 'c', requests: { cpu: '500m', memory: '100Mi' }, limits: { cpu: '1' } }])));
  });

  it('bounds a pod as a whole by the sum of its containers', async () => {
    const plugin = ranger({ type: 'Pod', max: { cpu: '1' } });
    const p = pod('p', [{ name: 'a', limits: { cpu: '600m' } }, { name: 'b', limits: { cpu: '600m' } }]);
    assert.equal(await violation(plugin, p), 'pods "p" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m');
  });

  it('bounds the storage a PersistentVolumeClaim requests', async () => {
    const plugin = ranger({ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '2Gi' } });
    const pvc = (size: string): KObject => ({ metadata: { name: 'data', namespace: 'ns' }, spec: { resources: { requests: { storage: size } } } });
    assert.equal(await violation(plugin, pvc('5Gi'), 'persistentvolumeclaims'), 'persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi');
    assert.equal(await violation(plugin, pvc('500Mi'), 'persistentvolumeclaims'), 'persistentvolumeclaims "data" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
    await plugin.validate(attrs('persistentvolumeclaims', 'CREATE', pvc('1Gi')));
  });

  it('does not check pod updates (containers cannot change)', async () => {
    const plugin = ranger({ type: 'Container', max: { cpu: '1' } });
    await plugin.validate({ ...attrs('pods', 'UPDATE', pod('p', [{ name: 'c', limits: { cpu: '4' } }])), oldObject: pod('p', [{ name: 'c' }]) });
  });

  it('asks storage when the cache has no LimitRange for the namespace yet', async () => {
    const objects = new MemoryObjects();
    objects.liveOnly.set(MemoryObjects.key(LR, 'ns', 'limits'), limitRange({ type: 'Container', defaultRequest: { memory: '64Mi' } }));
    const p = pod('p', [{ name: 'c' }]);
    await new LimitRanger(objects).admit(attrs('pods', 'CREATE', p));
    assert.deepEqual(p['spec'].containers[0].resources, { requests: { memory: '64Mi' } });
  });
});
