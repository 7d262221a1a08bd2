import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { SchedulerCache } from './cache.ts';
import { boundPod, makeNode, makePod } from './testutil.ts';

const bound = (p: Pod, nodeName: string): Pod => ({ ...p, spec: { ...p.spec!, nodeName } });

describe('SchedulerCache', () => {
  it('counts an assumed pod at once, and forgets it when its binding fails', () => {
    const cache = new SchedulerCache();
    cache.addNode(makeNode('a', { cpu: '2' }));
    const p = bound(makePod('p', { cpu: '1500m' }), 'a');
    cache.assumePod(p, 'a');
    assert.equal(cache.snapshot().get('a')?.requested.milliCPU, 1500);
    assert.ok(cache.isAssumed(p));
    cache.forgetPod(p);
    assert.equal(cache.snapshot().get('a')?.requested.milliCPU, 0);
    assert.equal(cache.podCount, 0);
  });

  it('confirms an assumed pod when the informer sees it bound, once', () => {
    const cache = new SchedulerCache();
    cache.addNode(makeNode('a'));
    const p = bound(makePod('p', { cpu: '1' }), 'a');
    cache.assumePod(p, 'a');
    cache.addPod({ ...p, metadata: { ...p.metadata, resourceVersion: '7' } });
    assert.ok(!cache.isAssumed(p));
    assert.equal(cache.snapshot().get('a')?.pods.length, 1);
    assert.equal(cache.snapshot().get('a')?.requested.milliCPU, 1000);
    // A confirmed pod is not forgotten by a late binding failure.
    cache.forgetPod(p);
    assert.equal(cache.snapshot().get('a')?.pods.length, 1);
  });

  it('keeps pods of unknown nodes aside until the node comes, and drops terminal pods', () => {
    const cache = new SchedulerCache();
    cache.addPod(boundPod('early', 'late', { cpu: '1' }));
    assert.equal(cache.snapshot().nodes.length, 0);
    cache.addNode(makeNode('late'));
    assert.equal(cache.snapshot().get('late')?.requested.milliCPU, 1000);
    cache.updatePod({ ...boundPod('early', 'late', { cpu: '1' }), status: { phase: 'Succeeded' } });
    assert.equal(cache.snapshot().get('late')?.requested.milliCPU, 0);
  });

  it('updates a node in place and indexes nodes holding pods with affinity', () => {
    const cache = new SchedulerCache();
    cache.addNode(makeNode('a', { cpu: '2' }));
    const first = cache.snapshot();
    cache.updateNode(makeNode('a', { cpu: '8' }));
    assert.equal(cache.snapshot(), first, 'the same node set keeps the snapshot');
    assert.equal(first.get('a')?.allocatable.milliCPU, 8000);
    assert.equal(first.havePodsWithAffinity().length, 0);
    const affine = boundPod('aff', 'a', {}, { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: {} }] } } });
    cache.addPod(affine);
    assert.deepEqual(first.havePodsWithRequiredAntiAffinity().map((n) => n.name), ['a']);
    cache.removePod(affine);
    assert.equal(first.havePodsWithAffinity().length, 0);
    cache.removeNode(makeNode('a'));
    assert.equal(cache.snapshot().nodes.length, 0);
  });
});
