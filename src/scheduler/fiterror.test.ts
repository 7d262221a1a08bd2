import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultFrameworkOptions } from './defaults.ts';
import { FitError, fitErrorMessage, emptyDiagnosis, noPreemptionCandidatesMessage } from './fiterror.ts';
import { CycleState, Framework, Snapshot } from './framework.ts';
import type { PostFilterPlugin } from './framework.ts';
import { Status, unschedulable } from './status.ts';
import { boundPod, makeNode, makePod } from './testutil.ts';

const controlPlaneTaint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

describe('FailedScheduling message', () => {
  it('is upstream\'s for one tainted control plane and two workers short of cpu', () => {
    const preemption: PostFilterPlugin = {
      name: 'DefaultPreemption',
      postFilter(_state, _pod, fitError) {
        return { status: unschedulable(noPreemptionCandidatesMessage(fitError)) };
      },
    };
    const fw = new Framework(defaultFrameworkOptions([preemption]));
    const snapshot = Snapshot.of([
      makeNode('cp', { cpu: '2', taints: [controlPlaneTaint] }),
      makeNode('w1', { cpu: '2' }),
      makeNode('w2', { cpu: '2' }),
    ]);
    const pod = makePod('big', { cpu: '3' });
    const state = new CycleState();
    const result = fw.schedulePod(state, pod, snapshot);
    assert.ok(result instanceof FitError);
    fw.runPostFilter(state, pod, result, snapshot);
    assert.equal(
      result.message,
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
    assert.deepEqual([...result.diagnosis.unschedulablePlugins].sort(), ['NodeResourcesFit', 'TaintToleration']);
  });

  it('says "No preemption victims" for nodes where only eviction could make room', () => {
    const fw = new Framework(defaultFrameworkOptions());
    const snapshot = Snapshot.of([makeNode('a', { cpu: '2' })], [boundPod('x', 'a', { cpu: '1500m' })]);
    const small = fw.schedulePod(new CycleState(), makePod('p', { cpu: '1' }), snapshot);
    assert.ok(small instanceof FitError);
    assert.equal(small.message, '0/1 nodes are available: 1 Insufficient cpu.');
    assert.equal(noPreemptionCandidatesMessage(small), 'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
    // Larger than the whole node: unresolvable, so preemption is not helpful.
    const big = fw.schedulePod(new CycleState(), makePod('q', { cpu: '3' }), snapshot);
    assert.ok(big instanceof FitError);
    assert.equal(big.diagnosis.nodeToStatus.get('a')?.code, 'UnschedulableAndUnresolvable');
    assert.equal(noPreemptionCandidatesMessage(big), 'preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.');
  });

  it('sorts "<count> <reason>" bytewise, as Go sorts strings', () => {
    const d = emptyDiagnosis();
    for (let i = 0; i < 10; i++) d.nodeToStatus.set(`a${i}`, unschedulable('Insufficient memory'));
    d.nodeToStatus.set('b', new Status('UnschedulableAndUnresolvable', ["node(s) didn't match Pod's node affinity/selector"]));
    d.nodeToStatus.set('c', new Status('UnschedulableAndUnresolvable', ["node(s) didn't match Pod's node affinity/selector"]));
    assert.equal(fitErrorMessage(12, d), "0/12 nodes are available: 10 Insufficient memory, 2 node(s) didn't match Pod's node affinity/selector.");
  });

  it('uses the PreFilter message instead of the per-node reasons', () => {
    const d = emptyDiagnosis();
    d.preFilterMsg = 'pod has unbound immediate PersistentVolumeClaims';
    d.nodeToStatus.set('a', unschedulable('pod has unbound immediate PersistentVolumeClaims'));
    assert.equal(fitErrorMessage(3, d), '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.');
  });
});
