import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CycleState, NodeInfo } from '../framework.ts';
import { podRequests } from '../resources.ts';
import { boundPod, makeNode, makePod } from '../testutil.ts';
import { balancedAllocationScore, leastAllocatedScore, newNodeResourcesBalancedAllocation, newNodeResourcesFit } from './noderesources.ts';

function filter(pod: ReturnType<typeof makePod>, node: NodeInfo, args = {}) {
  const pl = newNodeResourcesFit(args);
  const state = new CycleState();
  pl.preFilter(state, pod, [node]);
  return pl.filter(state, pod, node);
}

describe('NodeResourcesFit filter', () => {
  const node = new NodeInfo(makeNode('n', { cpu: '2', memory: '4Gi', pods: '2', extra: { 'example.com/gpu': '1' } }), [boundPod('x', 'n', { cpu: '1500m', memory: '1Gi' })]);

  it('fits what is left', () => {
    assert.equal(filter(makePod('p', { cpu: '500m', memory: '3Gi' }), node).code, 'Success');
  });

  it('reports every insufficient resource, resolvable by preemption when the node could hold the pod', () => {
    const s = filter(makePod('p', { cpu: '1', memory: '3500Mi', 'ephemeral-storage': '200Gi', 'example.com/gpu': '2' }), node);
    assert.deepEqual(s.reasons, ['Insufficient cpu', 'Insufficient memory', 'Insufficient ephemeral-storage', 'Insufficient example.com/gpu']);
    assert.equal(s.code, 'UnschedulableAndUnresolvable'); // storage and gpu exceed the node itself
    const t = filter(makePod('p', { cpu: '1' }), node);
    assert.deepEqual(t.reasons, ['Insufficient cpu']);
    assert.equal(t.code, 'Unschedulable');
  });

  it('counts pods against allocatable pods', () => {
    const full = new NodeInfo(makeNode('n', { pods: '1' }), [boundPod('x', 'n')]);
    const s = filter(makePod('p'), full);
    assert.deepEqual(s.reasons, ['Too many pods']);
  });

  it('uses init containers\' max and overhead', () => {
    const pod = makePod('p', { cpu: '100m' }, { initContainers: [{ name: 'i', resources: { requests: { cpu: '600m' } } }] });
    assert.deepEqual(filter(pod, node).reasons, ['Insufficient cpu']);
    const withOverhead = makePod('p', { cpu: '400m' }, { overhead: { cpu: '200m' } });
    assert.deepEqual(filter(withOverhead, node).reasons, ['Insufficient cpu']);
  });

  it('ignores configured extended resources', () => {
    assert.equal(filter(makePod('p', { 'example.com/gpu': '5' }), node, { ignoredResources: ['example.com/gpu'] }).code, 'Success');
    assert.equal(filter(makePod('p', { 'example.com/gpu': '5' }), node, { ignoredResourceGroups: ['example.com'] }).code, 'Success');
  });
});

describe('resource scoring', () => {
  const pod = makePod('p', { cpu: '1', memory: '2Gi' });
  const req = podRequests(pod);
  const nz = podRequests(pod, true);

  it('LeastAllocated: free share of cpu and memory after placing the pod', () => {
    const empty = new NodeInfo(makeNode('a', { cpu: '4', memory: '8Gi' }));
    // cpu (4-1)/4 = 75, memory (8-2)/8 = 75
    assert.equal(leastAllocatedScore(empty, req, nz), 75);
    const used = new NodeInfo(makeNode('b', { cpu: '4', memory: '8Gi' }), [boundPod('x', 'b', { cpu: '2', memory: '2Gi' })]);
    // cpu 25, memory 50 → 37
    assert.equal(leastAllocatedScore(used, req, nz), 37);
    const pl = newNodeResourcesFit();
    const state = new CycleState();
    pl.preScore(state, pod, [used]);
    assert.equal(pl.score(state, pod, used), 37);
  });

  it('LeastAllocated counts pods without requests as 100m / 200Mi', () => {
    const node = new NodeInfo(makeNode('a', { cpu: '1', memory: '1000Mi' }), [boundPod('x', 'a')]);
    const bare = makePod('q');
    // cpu: 1000 - 200 → 80; memory: 1000Mi - 400Mi → 60
    assert.equal(leastAllocatedScore(node, podRequests(bare), podRequests(bare, true)), 70);
  });

  it('BalancedAllocation: 100 × (1 − std of the cpu and memory fractions)', () => {
    const even = new NodeInfo(makeNode('a', { cpu: '4', memory: '8Gi' }));
    assert.equal(balancedAllocationScore(even, req, nz), 100);
    const skewed = new NodeInfo(makeNode('b', { cpu: '2', memory: '8Gi' }));
    // cpu 0.5, memory 0.25 → std 0.125 → 87
    assert.equal(balancedAllocationScore(skewed, req, nz), 87);
    const pl = newNodeResourcesBalancedAllocation();
    const state = new CycleState();
    pl.preScore(state, pod, [skewed]);
    assert.equal(pl.score(state, pod, skewed), 87);
  });
});
