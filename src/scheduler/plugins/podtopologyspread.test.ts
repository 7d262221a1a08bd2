import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.d.ts';
import { CycleState, Snapshot } from '../framework.ts';
import type { NodeScore } from '../framework.ts';
import { boundPod, makeNode, makePod } from '../testutil.ts';
import { ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH, newPodTopologySpread } from './podtopologyspread.ts';

const app = { app: 'web' };
const labelled = (p: Pod): Pod => ({ ...p, metadata: { ...p.metadata, labels: app } });
const spread = (whenUnsatisfiable: string, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey: 'zone',
  whenUnsatisfiable,
  labelSelector: { matchLabels: app },
  ...extra,
});

// zone a: n1 (2 web pods), zone b: n2 (1 web pod), zone c: n3 (none), n4 has no zone label.
const snapshot = Snapshot.of(
  [makeNode('n1', { labels: { zone: 'a' } }), makeNode('n2', { labels: { zone: 'b' } }), makeNode('n3', { labels: { zone: 'c' } }), makeNode('n4')],
  [labelled(boundPod('w1', 'n1')), labelled(boundPod('w2', 'n1')), labelled(boundPod('w3', 'n2')), boundPod('other', 'n3')],
);

describe('PodTopologySpread', () => {
  it('filters domains that would exceed maxSkew and nodes missing the key', () => {
    const pl = newPodTopologySpread();
    const pod = labelled(makePod('p', {}, { topologySpreadConstraints: [spread('DoNotSchedule')] }));
    const state = new CycleState();
    assert.equal(pl.preFilter(state, pod, snapshot.nodes).code, 'Success');
    const codes = snapshot.nodes.map((n) => pl.filter(state, pod, n));
    assert.deepEqual(codes.map((s) => s.code), ['Unschedulable', 'Unschedulable', 'Success', 'UnschedulableAndUnresolvable']);
    assert.equal(codes[0]?.message, ERR_REASON_CONSTRAINTS_NOT_MATCH);
    assert.equal(codes[3]?.message, ERR_REASON_NODE_LABEL_NOT_MATCH);
  });

  it('treats missing domains as zero when fewer than minDomains exist', () => {
    const pl = newPodTopologySpread();
    const pod = labelled(makePod('p', {}, { topologySpreadConstraints: [spread('DoNotSchedule', { maxSkew: 2, minDomains: 5 })] }));
    const state = new CycleState();
    pl.preFilter(state, pod, snapshot.nodes);
    // min is 0 (3 domains < 5): zone a has 2 + 1 > 2, zone b has 1 + 1 ≤ 2.
    assert.deepEqual(snapshot.nodes.slice(0, 3).map((n) => pl.filter(state, pod, n).code), ['Unschedulable', 'Success', 'Success']);
  });

  it('skips pods without constraints', () => {
    assert.equal(newPodTopologySpread().preFilter(new CycleState(), makePod('p'), snapshot.nodes).code, 'Skip');
  });

  it('scores emptier domains higher for ScheduleAnyway', () => {
    const pl = newPodTopologySpread();
    const pod = labelled(makePod('p', {}, { topologySpreadConstraints: [spread('ScheduleAnyway')] }));
    const state = new CycleState();
    state.allNodes = snapshot.nodes;
    assert.equal(pl.preScore(state, pod, snapshot.nodes).code, 'Success');
    const scores: NodeScore[] = snapshot.nodes.map((n) => ({ name: n.name, score: pl.score(state, pod, n) as number }));
    pl.normalizeScore?.(state, pod, scores);
    const [a, b, c, none] = scores.map((s) => s.score);
    assert.ok(c !== undefined && b !== undefined && a !== undefined);
    assert.ok(c > b && b > a, `expected c > b > a, got ${a} ${b} ${c}`);
    assert.equal(c, 100);
    assert.equal(none, 0);
  });
});
