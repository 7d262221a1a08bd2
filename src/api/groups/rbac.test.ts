import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject, ResourceType } from '../types.ts';
import { resources } from './rbac.ts';

const type = (plural: string): ResourceType => resources.find((r) => r.plural === plural)!;

describe('RBAC', () => {
  it('defaults subject and roleRef API groups', () => {
    const rb: KObject = {
      metadata: { name: 'read', namespace: 'default' },
      roleRef: { kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'default' }, { kind: 'User', name: 'alice' }],
    };
    type('rolebindings').defaults!(rb);
    assert.deepEqual(rb['roleRef'], { kind: 'Role', name: 'reader', apiGroup: 'rbac.authorization.k8s.io' });
    assert.deepEqual(rb['subjects'].map((s: Record<string, string>) => s['apiGroup']), ['', 'rbac.authorization.k8s.io']);
    assert.deepEqual(type('rolebindings').validateCreate!(rb), []);
  });

  it('validates rules and subjects with upstream messages', () => {
    const role: KObject = { metadata: { name: 'r', namespace: 'default' }, rules: [{ resources: ['pods'] }, { nonResourceURLs: ['/healthz'], verbs: ['get'] }] };
    assert.deepEqual(type('roles').validateCreate!(role).map((e) => e.message), [
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[1].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
    ]);
    const crb: KObject = { metadata: { name: 'x' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'bot' }] };
    assert.deepEqual(type('clusterrolebindings').validateCreate!(crb).map((e) => e.message), [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
  });

  it('never lets roleRef change', () => {
    const t = type('clusterrolebindings');
    const old: KObject = { metadata: { name: 'b', resourceVersion: '1' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [] };
    const next = structuredClone(old);
    next['roleRef'].name = 'admin';
    assert.deepEqual(t.validateUpdate!(next, old).map((e) => e.message), [
      'roleRef: Invalid value: {"APIGroup":"rbac.authorization.k8s.io","Kind":"ClusterRole","Name":"admin"}: cannot change roleRef',
    ]);
  });

  it('names are path segments', () => {
    assert.deepEqual(type('clusterroles').validateCreate!({ metadata: { name: 'system:aggregate-to-view' }, rules: [] }), []);
    assert.equal(type('clusterroles').validateCreate!({ metadata: { name: 'a/b' } })[0]!.message, `metadata.name: Invalid value: "a/b": may not contain '/'`);
  });
});
