// Upstream's deployment utilities as pure functions: fenceposts, proportions, revisions, annotations, the hash.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computeHash, safeEncodeString } from './deployment-hash.ts';
import {
  DESIRED_REPLICAS_ANNOTATION, equalIgnoreHash, findActiveOrLatest, findNewReplicaSet, lastRevision, MAX_REPLICAS_ANNOTATION, maxUnavailable,
  newRSNewReplicas, replicaSetProportion, resolveFenceposts, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, setCondition, setNewReplicaSetAnnotations,
  type DeploymentObject, type DeploymentStatus,
} from './deployment-util.ts';
import type { ReplicaSetObject } from './replicaset.ts';

const template = (image: string, hash?: string) => ({
  metadata: { labels: { app: 'web', ...(hash ? { 'pod-template-hash': hash } : {}) } },
  spec: { containers: [{ name: 'c', image }] },
});

function deployment(replicas: number, maxSurge: number | string = '25%', maxUnavailable: number | string = '25%', extra: Partial<DeploymentObject> = {}): DeploymentObject {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1, annotations: {} },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template('nginx:1'), strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } },
    ...extra,
  };
}

function replicaSet(name: string, replicas: number, opts: { revision?: number; created?: string; available?: number; maxReplicas?: number; image?: string } = {}): ReplicaSetObject {
  const annotations: Record<string, string> = {};
  if (opts.revision !== undefined) annotations[REVISION_ANNOTATION] = String(opts.revision);
  if (opts.maxReplicas !== undefined) annotations[MAX_REPLICAS_ANNOTATION] = String(opts.maxReplicas);
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: opts.created ?? '2024-01-01T00:00:00Z', annotations },
    spec: { replicas, template: template(opts.image ?? 'nginx:1', name) },
    status: { replicas, availableReplicas: opts.available ?? replicas },
  };
}

describe('resolveFenceposts', () => {
  it('rounds surge up and unavailability down, as upstream', () => {
    assert.deepEqual(resolveFenceposts('39%', '39%', 10), { surge: 4, unavailable: 3 });
    assert.deepEqual(resolveFenceposts('25%', '25%', 3), { surge: 1, unavailable: 0 });
    assert.deepEqual(resolveFenceposts(2, 1, 10), { surge: 2, unavailable: 1 });
  });
  it('makes one pod unavailable when both resolve to zero', () => {
    assert.deepEqual(resolveFenceposts('0%', '0%', 0), { surge: 0, unavailable: 1 });
    assert.deepEqual(resolveFenceposts(0, '10%', 5), { surge: 0, unavailable: 1 });
  });
  it('rejects a value that is neither an integer nor a percentage', () => {
    assert.throws(() => resolveFenceposts('oops', '1%', 10), { name: 'IntOrPercentError' });
  });
  it('caps maxUnavailable at the replica count and is 0 for Recreate or zero replicas', () => {
    assert.equal(maxUnavailable(deployment(2, 0, 5)), 2);
    assert.equal(maxUnavailable(deployment(0, 1, 1)), 0);
    assert.equal(maxUnavailable({ ...deployment(4), spec: { ...deployment(4).spec, strategy: { type: 'Recreate' } } }), 0);
  });
});

describe('newRSNewReplicas', () => {
  it('scales the new ReplicaSet up by what maxSurge leaves, never past spec.replicas', () => {
    const d = deployment(10, 3, 2);
    const newRS = replicaSet('new', 0);
    assert.equal(newRSNewReplicas(d, [replicaSet('old', 10), newRS], newRS), 3);
    assert.equal(newRSNewReplicas(d, [replicaSet('old', 8), replicaSet('new', 3)], replicaSet('new', 3)), 5);
    assert.equal(newRSNewReplicas(d, [replicaSet('old', 8), replicaSet('new', 5)], replicaSet('new', 5)), 5);
    assert.equal(newRSNewReplicas(d, [replicaSet('old', 1), replicaSet('new', 9)], replicaSet('new', 9)), 10);
  });
  it('is the whole Deployment for Recreate', () => {
    const d = { ...deployment(4), spec: { ...deployment(4).spec, strategy: { type: 'Recreate' } } };
    assert.equal(newRSNewReplicas(d, [replicaSet('new', 0)], replicaSet('new', 0)), 4);
  });
});

describe('replicaSetProportion', () => {
  it('shares a scale-up by size against the max-replicas the ReplicaSets were scaled for', () => {
    // 10 replicas, surge 3: old 8 + new 5 = 13, both annotated max 13; scaled to 20 (max 23): 10 to add.
    const d = deployment(20, 3, 2);
    const old = replicaSet('old', 8, { maxReplicas: 13 });
    const fresh = replicaSet('new', 5, { maxReplicas: 13 });
    const first = replicaSetProportion(old, d, 10, 0);
    assert.equal(first, 6);
    assert.equal(replicaSetProportion(fresh, d, 10, first), 4);
  });
  it('never takes more than is left, and nothing from an empty ReplicaSet', () => {
    const d = deployment(20, 3, 2);
    assert.equal(replicaSetProportion(replicaSet('old', 8, { maxReplicas: 13 }), d, 10, 7), 3);
    assert.equal(replicaSetProportion(replicaSet('empty', 0, { maxReplicas: 13 }), d, 10, 0), 0);
  });
  it('removes everything when scaling to zero', () => {
    assert.equal(replicaSetProportion(replicaSet('old', 8, { maxReplicas: 13 }), deployment(0, 3, 2), -13, 0), -8);
  });
});

describe('ReplicaSets of a Deployment', () => {
  it('finds the oldest ReplicaSet with the template, ignoring the hash label', () => {
    const d = deployment(3);
    const a = replicaSet('a', 1, { created: '2024-01-02T00:00:00Z' });
    const b = replicaSet('b', 1, { created: '2024-01-01T00:00:00Z' });
    const other = replicaSet('c', 1, { image: 'nginx:2' });
    assert.equal(findNewReplicaSet(d, [a, other, b])?.metadata?.name, 'b');
    assert.equal(findNewReplicaSet(d, [other]), undefined);
    assert.ok(equalIgnoreHash(template('x', 'h1'), template('x', 'h2')));
    assert.ok(!equalIgnoreHash(template('x'), template('y')));
  });
  it('picks the one active ReplicaSet, or the newest when none is active', () => {
    const old1 = replicaSet('old1', 0, { created: '2024-01-01T00:00:00Z' });
    const old2 = replicaSet('old2', 0, { created: '2024-01-02T00:00:00Z' });
    assert.equal(findActiveOrLatest(undefined, [old1, old2])?.metadata?.name, 'old2');
    assert.equal(findActiveOrLatest(replicaSet('new', 2), [old1])?.metadata?.name, 'new');
    assert.equal(findActiveOrLatest(replicaSet('new', 2), [replicaSet('old3', 1)]), undefined);
  });
  it('knows the revision before the latest', () => {
    assert.equal(lastRevision([replicaSet('a', 0, { revision: 3 }), replicaSet('b', 0, { revision: 5 }), replicaSet('c', 0, { revision: 1 })]), 3);
    assert.equal(lastRevision([replicaSet('a', 0, { revision: 1 })]), 0);
  });
});

describe('setNewReplicaSetAnnotations', () => {
  it('sets the revision and replica annotations on a new ReplicaSet and copies the change-cause', () => {
    const d = deployment(4, 1, 1);
    d.metadata!.annotations = { 'kubernetes.io/change-cause': 'kubectl set image', [REVISION_ANNOTATION]: '7', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
    const rs: ReplicaSetObject = { metadata: { name: 'web-x' }, spec: {} };
    assert.equal(setNewReplicaSetAnnotations(d, rs, '2', false), true);
    assert.deepEqual(rs.metadata?.annotations, { 'kubernetes.io/change-cause': 'kubectl set image', [REVISION_ANNOTATION]: '2', [DESIRED_REPLICAS_ANNOTATION]: '4', [MAX_REPLICAS_ANNOTATION]: '5' });
  });
  it('keeps the superseded revision in revision-history when an old ReplicaSet becomes new again', () => {
    const d = deployment(4);
    const rs = replicaSet('web-x', 0, { revision: 1 });
    assert.equal(setNewReplicaSetAnnotations(d, rs, '3', true), true);
    assert.equal(rs.metadata?.annotations?.[REVISION_ANNOTATION], '3');
    assert.equal(rs.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION], '1');
    setNewReplicaSetAnnotations(d, rs, '5', true);
    assert.equal(rs.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION], '1,3');
    // Not lowered, and nothing to do the second time.
    assert.equal(setNewReplicaSetAnnotations(d, rs, '4', true), false);
    assert.equal(rs.metadata?.annotations?.[REVISION_ANNOTATION], '5');
  });
  it('drops the oldest history entries beyond the length limit', () => {
    const rs = replicaSet('web-x', 0, { revision: 30 });
    rs.metadata!.annotations![REVISION_HISTORY_ANNOTATION] = '10,20';
    setNewReplicaSetAnnotations(deployment(1), rs, '31', true, 6);
    assert.equal(rs.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION], '20,30');
  });
});

describe('setCondition', () => {
  it('keeps the old condition when status and reason are the same, and lastTransitionTime when only the reason changes', () => {
    const status: DeploymentStatus = { conditions: [{ type: 'Progressing', status: 'True', reason: 'A', lastTransitionTime: 't0', lastUpdateTime: 't0' }] };
    setCondition(status, { type: 'Progressing', status: 'True', reason: 'A', lastTransitionTime: 't1', lastUpdateTime: 't1' });
    assert.equal(status.conditions![0]!.lastUpdateTime, 't0');
    setCondition(status, { type: 'Progressing', status: 'True', reason: 'B', lastTransitionTime: 't2', lastUpdateTime: 't2' });
    assert.deepEqual(status.conditions![0], { type: 'Progressing', status: 'True', reason: 'B', lastTransitionTime: 't0', lastUpdateTime: 't2' });
    setCondition(status, { type: 'Progressing', status: 'False', reason: 'C', lastTransitionTime: 't3', lastUpdateTime: 't3' });
    assert.equal(status.conditions![0]!.lastTransitionTime, 't3');
  });
});

describe('computeHash', () => {
  it('has the shape of upstream pod-template-hash values and is stable whatever the key order', () => {
    const a = computeHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const b = computeHash({ spec: { containers: [{ image: 'nginx', name: 'c' }] }, metadata: { labels: { app: 'web' } } });
    assert.equal(a, b);
    assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.notEqual(computeHash({ spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }), computeHash({ spec: { containers: [{ name: 'c', image: 'nginx:1' }] } }));
  });
  it('changes with the collision count', () => {
    const t = { spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    assert.notEqual(computeHash(t), computeHash(t, 1));
    assert.notEqual(computeHash(t, 1), computeHash(t, 2));
    assert.equal(computeHash(t, 1), computeHash(t, 1));
  });
  it('encodes digits into the safe alphabet, as rand.SafeEncodeString', () => {
    // '0'..'9' are bytes 48..57: 48 % 27 = 21 → '4', 57 % 27 = 3 → 'f'.
    assert.equal(safeEncodeString('09'), '4f');
  });
});
