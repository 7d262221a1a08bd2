import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CycleState, NodeInfo } from '../framework.ts';
import type { NodeScore } from '../framework.ts';
import { makeNode, makePod } from '../testutil.ts';
import { newTaintToleration, toleratesTaint } from './tainttoleration.ts';

describe('TaintToleration', () => {
  const pl = newTaintToleration();
  const tainted = new NodeInfo(makeNode('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }));

  it('rejects untolerated NoSchedule taints with upstream\'s reason', () => {
    const s = pl.filter(new CycleState(), makePod('p'), tainted);
    assert.equal(s.code, 'UnschedulableAndUnresolvable');
    assert.equal(s.message, 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }');
  });

  it('admits tolerated taints and ignores PreferNoSchedule in the filter', () => {
    const pod = makePod('p', {}, { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] });
    assert.equal(pl.filter(new CycleState(), pod, tainted).code, 'Success');
    const soft = new NodeInfo(makeNode('s', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] }));
    assert.equal(pl.filter(new CycleState(), makePod('p'), soft).code, 'Success');
    const hard = new NodeInfo(makeNode('h', { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] }));
    assert.equal(pl.filter(new CycleState(), makePod('p'), hard).message, 'node(s) had untolerated taint {k: v}');
  });

  it('matches tolerations as upstream', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
    assert.ok(toleratesTaint({ key: 'k', value: 'v' }, taint));
    assert.ok(toleratesTaint({ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, taint));
    assert.ok(toleratesTaint({ operator: 'Exists' }, taint));
    assert.ok(!toleratesTaint({ key: 'k', value: 'w' }, taint));
    assert.ok(!toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint));
  });

  it('scores fewer untolerated PreferNoSchedule taints higher (reversed normalization)', () => {
    const nodes = [
      new NodeInfo(makeNode('clean')),
      new NodeInfo(makeNode('one', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] })),
      new NodeInfo(makeNode('two', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }] })),
    ];
    const pod = makePod('p', {}, { tolerations: [{ key: 'b', operator: 'Exists' }] });
    const state = new CycleState();
    pl.preScore(state, pod, nodes);
    const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: pl.score(state, pod, n) as number }));
    pl.normalizeScore?.(state, pod, scores);
    assert.deepEqual(scores.map((s) => s.score), [100, 0, 0]);
  });
});
