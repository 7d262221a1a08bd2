import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Affinity, Pod } from 'kubernetes-types/core/v1.d.ts';
import { CycleState, Snapshot } from '../framework.ts';
import type { NodeScore } from '../framework.ts';
import { boundPod, makeNode, makePod } from '../testutil.ts';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  newInterPodAffinity,
} from './interpodaffinity.ts';

const withLabels = (p: Pod, labels: Record<string, string>, affinity?: Affinity): Pod => ({
  ...p,
  metadata: { ...p.metadata, labels },
  spec: { containers: p.spec?.containers ?? [], ...p.spec, ...(affinity ? { affinity } : {}) },
});
const term = (app: string, topologyKey = 'zone') => ({ labelSelector: { matchLabels: { app } }, topologyKey });

const nodes = [makeNode('a1', { labels: { zone: 'a' } }), makeNode('a2', { labels: { zone: 'a' } }), makeNode('b1', { labels: { zone: 'b' } })];

function filterAll(snapshot: Snapshot, pod: Pod): string[] {
  const pl = newInterPodAffinity();
  const state = new CycleState();
  if (pl.preFilter(state, pod, snapshot.nodes).code === 'Skip') return snapshot.nodes.map(() => 'Skip');
  return snapshot.nodes.map((n) => {
    const s = pl.filter(state, pod, n);
    return s.isSuccess() ? 'ok' : s.message;
  });
}

describe('InterPodAffinity', () => {
  const snapshot = Snapshot.of(nodes, [withLabels(boundPod('db', 'a1'), { app: 'db' })]);

  it('requires a matching pod in the same topology domain', () => {
    const pod = withLabels(makePod('web'), { app: 'web' }, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } });
    assert.deepEqual(filterAll(snapshot, pod), ['ok', 'ok', ERR_REASON_AFFINITY_RULES_NOT_MATCH]);
  });

  it('lets the first pod of a self-selecting group go anywhere', () => {
    const pod = withLabels(makePod('c'), { app: 'cache' }, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('cache')] } });
    assert.deepEqual(filterAll(snapshot, pod), ['ok', 'ok', 'ok']);
  });

  it('keeps away from domains holding pods it is anti-affine to', () => {
    const pod = withLabels(makePod('db2'), { app: 'db' }, { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } });
    assert.deepEqual(filterAll(snapshot, pod), [ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH, 'ok']);
  });

  it('honours existing pods\' anti-affinity toward the incoming pod', () => {
    const guarded = Snapshot.of(nodes, [
      withLabels(boundPod('solo', 'b1'), { app: 'solo' }, { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('noisy', 'kubernetes.io/hostname')] } }),
    ]);
    const pod = withLabels(makePod('n'), { app: 'noisy' });
    assert.deepEqual(filterAll(guarded, pod), ['ok', 'ok', ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH]);
    assert.deepEqual(filterAll(guarded, withLabels(makePod('q'), { app: 'quiet' })), ['Skip', 'Skip', 'Skip']);
  });

  it('only matches pods in the term\'s namespaces', () => {
    const other = { ...withLabels(boundPod('db', 'a1'), { app: 'db' }), metadata: { name: 'db', namespace: 'other', labels: { app: 'db' } } };
    const pod = withLabels(makePod('web'), { app: 'web' }, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } });
    assert.deepEqual(filterAll(Snapshot.of(nodes, [other]), pod), [ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_AFFINITY_RULES_NOT_MATCH]);
    const anyNs = withLabels(makePod('web'), { app: 'web' }, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ ...term('db'), namespaceSelector: {} }] } });
    assert.deepEqual(filterAll(Snapshot.of(nodes, [other]), anyNs), ['ok', 'ok', ERR_REASON_AFFINITY_RULES_NOT_MATCH]);
  });

  it('scores preferred affinity up and preferred anti-affinity down', () => {
    const pl = newInterPodAffinity();
    const pod = withLabels(makePod('web'), { app: 'web' }, {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('db') }] },
    });
    const state = new CycleState();
    assert.equal(pl.preScore(state, pod, snapshot.nodes).code, 'Success');
    const scores: NodeScore[] = snapshot.nodes.map((n) => ({ name: n.name, score: pl.score(state, pod, n) as number }));
    pl.normalizeScore?.(state, pod, scores);
    assert.deepEqual(scores.map((s) => s.score), [100, 100, 0]);
    const anti = withLabels(makePod('web'), { app: 'web' }, { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('db') }] } });
    const st2 = new CycleState();
    pl.preScore(st2, anti, snapshot.nodes);
    const s2: NodeScore[] = snapshot.nodes.map((n) => ({ name: n.name, score: pl.score(st2, anti, n) as number }));
    pl.normalizeScore?.(st2, anti, s2);
    assert.deepEqual(s2.map((s) => s.score), [0, 0, 100]);
  });
});
