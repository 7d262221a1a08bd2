// StatefulSet identities, versioned pods and claim retention references.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.d.ts';
import { claimOwnerRefsFor, isClaimOwnerUpToDate, maxUnavailableOf, newVersionedStatefulSetPod, parentAndOrdinal, type PodObject, type StatefulSetObject } from './statefulset-util.ts';

const set = (spec: Partial<NonNullable<StatefulSetObject['spec']>> = {}): StatefulSetObject => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'set-uid' },
  spec: {
    replicas: 3,
    serviceName: 'svc',
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }],
    ...spec,
  },
});

describe('statefulset-util', () => {
  it('reads parent and ordinal from pod names', () => {
    assert.deepEqual(parentAndOrdinal({ metadata: { name: 'my-web-12' } }), { parent: 'my-web', ordinal: 12 });
    assert.deepEqual(parentAndOrdinal({ metadata: { name: 'web' } }), { parent: '', ordinal: -1 });
    assert.equal(parentAndOrdinal({ metadata: { name: 'web-99999999999' } }).ordinal, -1);
  });

  it('makes pods below the partition from the current revision and the rest from the update revision', () => {
    const current = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    const update = set({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } } });
    const p1 = newVersionedStatefulSetPod(current, update, 'web-old', 'web-new', 1);
    const p2 = newVersionedStatefulSetPod(current, update, 'web-old', 'web-new', 2);
    assert.equal(p1.spec?.containers[0]?.image, 'v1');
    assert.equal(p1.metadata?.labels?.['controller-revision-hash'], 'web-old');
    assert.equal(p2.spec?.containers[0]?.image, 'v2');
    assert.equal(p2.metadata?.labels?.['controller-revision-hash'], 'web-new');
    assert.deepEqual(p2.metadata?.labels, { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-2', 'apps.kubernetes.io/pod-index': '2', 'controller-revision-hash': 'web-new' });
    assert.equal(p2.spec?.hostname, 'web-2');
    assert.equal(p2.spec?.subdomain, 'svc');
    assert.deepEqual(p2.spec?.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } }]);
  });

  it('sets claim owner references that satisfy each retention policy', () => {
    const inRange: PodObject = { metadata: { name: 'web-1', uid: 'pod-1' } };
    const scaledDown: PodObject = { metadata: { name: 'web-5', uid: 'pod-5' } };
    const policies = ['Retain', 'Delete'];
    for (const whenDeleted of policies) {
      for (const whenScaled of policies) {
        const s = set({ persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled } });
        for (const pod of [inRange, scaledDown]) {
          const claim: PersistentVolumeClaim = { metadata: { name: 'data-x', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'keep', uid: 'other' }] } };
          const refs = claimOwnerRefsFor(claim, s, pod);
          const fixed = { metadata: { ...claim.metadata, ownerReferences: refs } };
          assert.ok(isClaimOwnerUpToDate(fixed, s, pod), `${whenDeleted}/${whenScaled} ${pod.metadata?.name}`);
          assert.equal(refs[0]?.name, 'keep', 'other owners stay');
          const kinds = refs.slice(1).map((r) => r.kind);
          const expected = [...(whenScaled === 'Delete' && pod === scaledDown ? ['Pod'] : []), ...(whenDeleted === 'Delete' && !(whenScaled === 'Delete' && pod === scaledDown) ? ['StatefulSet'] : [])];
          assert.deepEqual(kinds, expected, `${whenDeleted}/${whenScaled} ${pod.metadata?.name}`);
        }
      }
    }
    // Retain/Retain with a leftover set reference is out of date.
    const stale: PersistentVolumeClaim = { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true }] } };
    assert.ok(!isClaimOwnerUpToDate(stale, set(), inRange));
  });

  it('scales maxUnavailable down but never below one', () => {
    assert.equal(maxUnavailableOf(set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } } })), 1);
    assert.equal(maxUnavailableOf(set({ replicas: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } } })), 2);
    assert.equal(maxUnavailableOf(set()), 1);
  });
});
