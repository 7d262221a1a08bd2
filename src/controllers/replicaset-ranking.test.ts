// The order in which a ReplicaSet gives up its pods (upstream's ActivePodsWithRanks).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { podDeletionCost, podsToDelete } from './replicaset-ranking.ts';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readySince?: number; created?: number; restarts?: number; cost?: string } = {}): Pod {
  return {
    metadata: { name, uid: `uid-${name}`, creationTimestamp: ago(o.created ?? 3600), ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': o.cost } } : {}) },
    spec: { containers: [{ name: 'c' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: ago(o.readySince ?? 3000) }],
      containerStatuses: [{ name: 'c', ready: o.ready !== false, restartCount: o.restarts ?? 0, image: '', imageID: '' }],
    },
  };
}

const first = (pods: Pod[], related: Pod[] = pods) => podsToDelete(pods, related, 1, NOW)[0]?.metadata?.name;

describe('podsToDelete', () => {
  it('takes unassigned pods before assigned ones', () => {
    assert.equal(first([pod('assigned', { node: 'n1' }), pod('unassigned')]), 'unassigned');
  });
  it('takes Pending before Unknown before Running', () => {
    assert.equal(first([pod('running', { node: 'n' }), pod('unknown', { node: 'n', phase: 'Unknown' }), pod('pending', { node: 'n', phase: 'Pending' })]), 'pending');
    assert.equal(first([pod('running', { node: 'n' }), pod('unknown', { node: 'n', phase: 'Unknown' })]), 'unknown');
  });
  it('takes not-ready before ready', () => {
    assert.equal(first([pod('ready', { node: 'n' }), pod('not-ready', { node: 'n', ready: false })]), 'not-ready');
  });
  it('takes the lower pod-deletion-cost first, before looking at ages', () => {
    assert.equal(first([pod('expensive', { node: 'n', cost: '100', readySince: 10 }), pod('cheap', { node: 'n', cost: '-5', readySince: 3000 })]), 'cheap');
    assert.equal(podDeletionCost(pod('bad', { cost: 'lots' })), 0);
  });
  it('takes a pod doubled up on a node with more related pods first', () => {
    const crowded = pod('crowded', { node: 'busy' });
    const alone = pod('alone', { node: 'quiet' });
    const related = [crowded, alone, pod('other-1', { node: 'busy' }), pod('other-2', { node: 'busy' })];
    assert.equal(first([alone, crowded], related), 'crowded');
  });
  it('takes the pod ready for less time first, in logarithmic buckets', () => {
    assert.equal(first([pod('old', { node: 'n', readySince: 4000 }), pod('young', { node: 'n', readySince: 10 })]), 'young');
  });
  it('takes more restarts first, then newer pods first', () => {
    assert.equal(first([pod('steady', { node: 'n' }), pod('crashy', { node: 'n', restarts: 4 })]), 'crashy');
    assert.equal(first([pod('older', { node: 'n', created: 7200 }), pod('newer', { node: 'n', created: 60 })]), 'newer');
  });
  it('returns every pod when deleting all of them', () => {
    const pods = [pod('a'), pod('b')];
    assert.equal(podsToDelete(pods, pods, 5, NOW).length, 2);
  });
});
