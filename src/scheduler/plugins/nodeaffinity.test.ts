import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeSelectorRequirement } from 'kubernetes-types/core/v1.d.ts';
import { CycleState, NodeInfo } from '../framework.ts';
import type { NodeScore } from '../framework.ts';
import { makeNode, makePod } from '../testutil.ts';
import { ERR_REASON_POD, matchesRequirement, newNodeAffinity } from './nodeaffinity.ts';

const labels = { zone: 'a', disk: 'ssd', cores: '16' };
const req = (key: string, operator: string, values?: string[]): NodeSelectorRequirement => ({ key, operator, ...(values ? { values } : {}) });

describe('NodeAffinity', () => {
  const pl = newNodeAffinity();

  it('evaluates every operator', () => {
    assert.ok(matchesRequirement(req('zone', 'In', ['a', 'b']), labels));
    assert.ok(!matchesRequirement(req('zone', 'In', ['b']), labels));
    assert.ok(!matchesRequirement(req('missing', 'In', ['']), labels));
    assert.ok(matchesRequirement(req('zone', 'NotIn', ['b']), labels));
    assert.ok(matchesRequirement(req('missing', 'NotIn', ['b']), labels));
    assert.ok(!matchesRequirement(req('zone', 'NotIn', ['a']), labels));
    assert.ok(matchesRequirement(req('disk', 'Exists'), labels));
    assert.ok(!matchesRequirement(req('gpu', 'Exists'), labels));
    assert.ok(matchesRequirement(req('gpu', 'DoesNotExist'), labels));
    assert.ok(matchesRequirement(req('cores', 'Gt', ['8']), labels));
    assert.ok(!matchesRequirement(req('cores', 'Gt', ['16']), labels));
    assert.ok(matchesRequirement(req('cores', 'Lt', ['32']), labels));
    assert.ok(!matchesRequirement(req('zone', 'Lt', ['32']), labels)); // not an integer
    assert.ok(!matchesRequirement(req('cores', 'Gt', ['1', '2']), labels));
  });

  it('filters by nodeSelector', () => {
    const node = new NodeInfo(makeNode('n', { labels }));
    assert.equal(pl.filter(new CycleState(), makePod('p', {}, { nodeSelector: { zone: 'a' } }), node).code, 'Success');
    const s = pl.filter(new CycleState(), makePod('p', {}, { nodeSelector: { zone: 'b' } }), node);
    assert.equal(s.code, 'UnschedulableAndUnresolvable');
    assert.equal(s.message, ERR_REASON_POD);
  });

  it('filters by required affinity: terms ORed, expressions ANDed, matchFields on metadata.name', () => {
    const node = new NodeInfo(makeNode('n', { labels }));
    const pod = (terms: { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[]) =>
      makePod('p', {}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    assert.equal(pl.filter(new CycleState(), pod([{ matchExpressions: [req('zone', 'In', ['b'])] }, { matchExpressions: [req('disk', 'In', ['ssd'])] }]), node).code, 'Success');
    assert.notEqual(pl.filter(new CycleState(), pod([{ matchExpressions: [req('zone', 'In', ['a']), req('disk', 'In', ['hdd'])] }]), node).code, 'Success');
    assert.equal(pl.filter(new CycleState(), pod([{ matchFields: [req('metadata.name', 'In', ['n'])] }]), node).code, 'Success');
    assert.notEqual(pl.filter(new CycleState(), pod([{ matchFields: [req('metadata.name', 'In', ['m'])] }]), node).code, 'Success');
    assert.notEqual(pl.filter(new CycleState(), pod([{}]), node).code, 'Success');
  });

  it('scores preferred terms by weight, normalized to 100', () => {
    const nodes = [new NodeInfo(makeNode('both', { labels })), new NodeInfo(makeNode('zone', { labels: { zone: 'a' } })), new NodeInfo(makeNode('none'))];
    const pod = makePod('p', {}, {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 30, preference: { matchExpressions: [req('zone', 'In', ['a'])] } },
            { weight: 10, preference: { matchExpressions: [req('disk', 'In', ['ssd'])] } },
          ],
        },
      },
    });
    const state = new CycleState();
    assert.equal(pl.preScore(state, pod, nodes).code, 'Success');
    const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: pl.score(state, pod, n) as number }));
    assert.deepEqual(scores.map((s) => s.score), [40, 30, 0]);
    pl.normalizeScore?.(state, pod, scores);
    assert.deepEqual(scores.map((s) => s.score), [100, 75, 0]);
    assert.equal(pl.preScore(new CycleState(), makePod('q'), nodes).code, 'Skip');
  });
});
