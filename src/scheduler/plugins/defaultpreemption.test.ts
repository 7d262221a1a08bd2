import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.d.ts';
import { defaultFrameworkOptions } from '../defaults.ts';
import { CycleState, FitError, Framework, Snapshot } from '../framework.ts';
import { boundPod, makeNode, makePod } from '../testutil.ts';
import { newDefaultPreemption, pickCandidate, splitByPDBViolation } from './defaultpreemption.ts';
import type { Candidate } from './defaultpreemption.ts';
import { podInfo } from '../nodeinfo.ts';

const withPriority = (p: Pod, priority: number, labels?: Record<string, string>): Pod => ({
  ...p,
  metadata: { ...p.metadata, ...(labels ? { labels } : {}) },
  spec: { containers: p.spec?.containers ?? [], ...p.spec, priority },
});

/** Runs a cycle that fails, then preemption; returns the chosen candidate (or the PostFilter message). */
function preempt(snapshot: Snapshot, pod: Pod, pdbs: PodDisruptionBudget[] = []): { candidate?: Candidate; message: string; nominated?: string } {
  let chosen: Candidate | undefined;
  const holder: { fw?: Framework } = {};
  const plugin = newDefaultPreemption({
    filter: (state, p, node) => holder.fw!.runFilterWithNominatedPods(state, p, node),
    preempt: (_p, c) => (chosen = c),
    podDisruptionBudgets: () => pdbs,
    random: () => 0,
  });
  const fw = (holder.fw = new Framework({ ...defaultFrameworkOptions([plugin]), random: () => 0 }));
  const state = new CycleState();
  const r = fw.schedulePod(state, pod, snapshot);
  assert.ok(r instanceof FitError, 'the pod should not fit before preemption');
  const post = fw.runPostFilter(state, pod, r, snapshot);
  return { ...(chosen ? { candidate: chosen } : {}), message: r.message, ...(post.nominatedNodeName !== undefined ? { nominated: post.nominatedNodeName } : {}) };
}

describe('DefaultPreemption', () => {
  it('evicts only as many lower-priority pods as needed, the least important first', () => {
    const snapshot = Snapshot.of(
      [makeNode('a', { cpu: '3' })],
      [withPriority(boundPod('lo1', 'a', { cpu: '1' }), 1), withPriority(boundPod('lo5', 'a', { cpu: '1' }), 5), withPriority(boundPod('hi', 'a', { cpu: '1' }), 100)],
    );
    const r = preempt(snapshot, withPriority(makePod('p', { cpu: '1' }), 50));
    assert.equal(r.nominated, 'a');
    assert.deepEqual(r.candidate?.victims.map((v) => v.metadata?.name), ['lo1']);
  });

  it('prefers the node whose most important victim matters least', () => {
    const snapshot = Snapshot.of(
      [makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' })],
      [withPriority(boundPod('x', 'a', { cpu: '1' }), 20), withPriority(boundPod('y', 'b', { cpu: '1' }), 10)],
    );
    assert.equal(preempt(snapshot, withPriority(makePod('p', { cpu: '1' }), 50)).candidate?.nodeName, 'b');
  });

  it('prefers a node where no PodDisruptionBudget would be violated', () => {
    const snapshot = Snapshot.of(
      [makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' })],
      [withPriority(boundPod('guarded', 'a', { cpu: '1' }), 1, { app: 'db' }), withPriority(boundPod('free', 'b', { cpu: '1' }), 5, { app: 'web' })],
    );
    const pdb: PodDisruptionBudget = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } };
    const r = preempt(snapshot, withPriority(makePod('p', { cpu: '1' }), 50), [pdb]);
    assert.equal(r.candidate?.nodeName, 'b');
    assert.equal(r.candidate?.numPDBViolations, 0);
  });

  it('explains why no node helps, in upstream\'s words', () => {
    const snapshot = Snapshot.of(
      [makeNode('small', { cpu: '1' }), makeNode('busy', { cpu: '2' })],
      [withPriority(boundPod('peer', 'busy', { cpu: '2' }), 50)],
    );
    const r = preempt(snapshot, withPriority(makePod('p', { cpu: '2' }), 50));
    assert.equal(r.candidate, undefined);
    assert.equal(r.nominated, '');
    assert.equal(
      r.message,
      // "small" is too small whatever it holds; on "busy" no pod has a lower priority.
      '0/2 nodes are available: 2 Insufficient cpu. ' +
        'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    );
  });

  it('does not preempt for preemptionPolicy Never', () => {
    const snapshot = Snapshot.of([makeNode('a', { cpu: '1' })], [withPriority(boundPod('lo', 'a', { cpu: '1' }), 1)]);
    const pod = withPriority(makePod('p', { cpu: '1' }, { preemptionPolicy: 'Never' }), 50);
    const r = preempt(snapshot, pod);
    assert.equal(r.candidate, undefined);
    assert.equal(r.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
  });

  it('splits victims by PDB violation, keeping their order', () => {
    const pods = ['a', 'b', 'c'].map((n) => podInfo(withPriority(boundPod(n, 'x'), 1, { app: 'web' })));
    const pdb: PodDisruptionBudget = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } } }, status: { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 } };
    const [violating, nonViolating] = splitByPDBViolation(pods, [pdb]);
    assert.deepEqual(nonViolating.map((p) => p.pod.metadata?.name), ['a']);
    assert.deepEqual(violating.map((p) => p.pod.metadata?.name), ['b', 'c']);
  });

  it('picks candidates by upstream\'s order of criteria', () => {
    const v = (name: string, priority: number): Pod => withPriority(makePod(name), priority);
    const cands: Candidate[] = [
      { nodeName: 'pdb', victims: [v('a', 1)], numPDBViolations: 1 },
      { nodeName: 'two', victims: [v('b', 1), v('c', 1)], numPDBViolations: 0 },
      { nodeName: 'one', victims: [v('d', 1)], numPDBViolations: 0 },
    ];
    assert.equal(pickCandidate(cands)?.nodeName, 'one');
  });
});
