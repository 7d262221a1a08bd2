import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describePodTemplate } from './podtemplate.ts';
import { controllerUndoTarget, deploymentRevisions, deploymentUndoTarget, historyTable, rollbackAnnotations, sameTemplate } from './rollout-history.ts';
import { rolloutStatus, RolloutStatusError } from './rollout-status.ts';

const deployment = (status: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  metadata: { name: 'web', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '3' } },
  spec: { replicas: 3 },
  status: { observedGeneration: 2, ...status },
  ...extra,
});

describe('rollout status', () => {
  it('walks a Deployment through kubectl messages', () => {
    assert.deepEqual(rolloutStatus('Deployment', deployment({ observedGeneration: 1 })), { message: 'Waiting for deployment spec update to be observed...\n', done: false });
    assert.equal(rolloutStatus('Deployment', deployment({ updatedReplicas: 1 })).message, 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n');
    assert.equal(rolloutStatus('Deployment', deployment({ updatedReplicas: 3, replicas: 4 })).message, 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n');
    assert.equal(rolloutStatus('Deployment', deployment({ updatedReplicas: 3, replicas: 3, availableReplicas: 1 })).message, 'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...\n');
    assert.deepEqual(rolloutStatus('Deployment', deployment({ updatedReplicas: 3, replicas: 3, availableReplicas: 3 })), { message: 'deployment "web" successfully rolled out\n', done: true });
  });

  it('refuses a pinned revision that is not the running one, and a missed deadline', () => {
    assert.throws(() => rolloutStatus('Deployment', deployment({}), 2), { message: 'desired revision (2) is different from the running revision (3)' });
    const stuck = deployment({ conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
    assert.throws(() => rolloutStatus('Deployment', stuck), RolloutStatusError);
  });

  it('reads DaemonSets and StatefulSets', () => {
    const ds = { metadata: { name: 'agent', generation: 1 }, spec: { updateStrategy: { type: 'RollingUpdate' } }, status: { observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 1 } };
    assert.equal(rolloutStatus('DaemonSet', ds).message, 'Waiting for daemon set "agent" rollout to finish: 1 of 2 updated pods are available...\n');
    const sts = { metadata: { name: 'db', generation: 1 }, spec: { replicas: 2, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } }, status: { observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2 } };
    assert.deepEqual(rolloutStatus('StatefulSet', sts), { message: 'partitioned roll out complete: 2 new pods have been updated...\n', done: true });
    assert.throws(() => rolloutStatus('StatefulSet', { ...sts, spec: { updateStrategy: { type: 'OnDelete' } } }), { message: 'rollout status is only available for RollingUpdate strategy type' });
  });
});

describe('rollout history', () => {
  const owner = { metadata: { name: 'web', uid: 'u1', annotations: { 'deployment.kubernetes.io/revision': '2', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } };
  const rs = (revision: string, image: string, cause?: string, uid = 'u1') => ({
    metadata: { name: `web-${revision}`, annotations: { 'deployment.kubernetes.io/revision': revision, ...(cause ? { 'kubernetes.io/change-cause': cause } : {}) }, ownerReferences: [{ controller: true, uid }] },
    spec: { template: { metadata: { labels: { app: 'web', 'pod-template-hash': `h${revision}` } }, spec: { containers: [{ name: 'c', image }] } } },
  });

  it('lists the revisions of the ReplicaSets the Deployment controls, with their change causes', () => {
    const revisions = deploymentRevisions(owner, [rs('2', 'nginx:2', 'upgrade'), rs('1', 'nginx:1'), rs('7', 'x', undefined, 'other')]);
    assert.deepEqual([...revisions.keys()].sort(), [1, 2]);
    assert.equal(historyTable(revisions), 'REVISION  CHANGE-CAUSE\n1         <none>\n2         upgrade\n');
    assert.equal(historyTable(new Map()), 'No rollout history found.');
    assert.equal(revisions.get(2)!.template.metadata!.annotations!['kubernetes.io/change-cause'], 'upgrade');
  });

  it('picks what undo restores and the annotations it keeps', () => {
    const revisions = deploymentRevisions(owner, [rs('1', 'nginx:1'), rs('2', 'nginx:2'), rs('3', 'nginx:3')]);
    assert.equal(deploymentUndoTarget('web', revisions, 0).revision, 2);
    assert.equal(deploymentUndoTarget('web', revisions, 1).revision, 1);
    assert.throws(() => deploymentUndoTarget('web', revisions, 9), { message: 'unable to find specified revision 9 in history' });
    assert.throws(() => deploymentUndoTarget('web', new Map([[1, revisions.get(1)!]]), 0), { message: 'no rollout history found for deployment "web"' });
    assert.throws(() => controllerUndoTarget(new Map([[1, revisions.get(1)!]]), 0), { message: 'no last revision to roll back to' });
    assert.deepEqual(rollbackAnnotations(owner, rs('1', 'nginx:1', 'first')), {
      'deployment.kubernetes.io/revision': '2',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'kubernetes.io/change-cause': 'first',
    });
  });

  it('compares templates but for the pod-template-hash and empty fields', () => {
    const a = rs('1', 'nginx:1').spec.template;
    assert.ok(sameTemplate(a, { metadata: { labels: { app: 'web' }, annotations: {} }, spec: { containers: [{ name: 'c', image: 'nginx:1' }], volumes: [] } } as never));
    assert.ok(!sameTemplate(a, rs('2', 'nginx:2').spec.template));
  });

  it('describes a pod template as kubectl does, tabs kept', () => {
    const text = describePodTemplate({
      metadata: { labels: { b: '2', a: '1' }, annotations: { note: 'hi' } },
      spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: 'x' }] }], tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }] },
    });
    assert.equal(
      text,
      'Pod Template:\n  Labels:\ta=1\n\tb=2\n  Annotations:\tnote: hi\n  Containers:\n   c:\n    Image:\tnginx\n    Port:\t80/TCP\n    Host Port:\t0/TCP\n    Environment:\n      A:\tx\n    Mounts:\t<none>\n  Volumes:\t<none>\n  Node-Selectors:\t<none>\n  Tolerations:\tk:NoSchedule op=Exists\n',
    );
  });
});
