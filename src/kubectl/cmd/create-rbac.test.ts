import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiscoveryData, ResourceInfo } from '../discovery.ts';
import { parseResources, parseVerbs, policyRules, subjects } from './create-rbac.ts';

const resource = (group: string, plural: string, kind: string, shortNames: string[] = []): ResourceInfo => ({
  group,
  version: 'v1',
  resource: plural,
  kind,
  singular: kind.toLowerCase(),
  shortNames,
  namespaced: true,
  verbs: [],
  categories: [],
});
const data: DiscoveryData = { groupVersions: ['v1', 'apps/v1'], resources: [resource('', 'pods', 'Pod', ['po']), resource('apps', 'deployments', 'Deployment', ['deploy']), resource('apps', 'replicasets', 'ReplicaSet', ['rs'])] };

describe('create role rules', () => {
  it('dedupes verbs, and a bare * stands for every verb and every resource', () => {
    assert.deepEqual(parseVerbs(['get', 'list', 'get']), ['get', 'list']);
    assert.deepEqual(parseVerbs(['get', '*']), ['*']);
    assert.deepEqual(parseResources(['pods', '*']), [{ resource: '*', group: '', subresource: '' }]);
    assert.deepEqual(parseResources(['deployments.apps/scale']), [{ resource: 'deployments', group: 'apps', subresource: 'scale' }]);
  });

  it('makes one rule per API group in sorted order, short names expanded, subresources kept', () => {
    const rules = policyRules(data, ['get'], parseResources(['rs', 'po', 'pods/log', 'deployments.apps']), ['a'], ['/healthz']);
    assert.deepEqual(rules, [
      { verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/log'], resourceNames: ['a'] },
      { verbs: ['get'], apiGroups: ['apps'], resources: ['replicasets', 'deployments'], resourceNames: ['a'] },
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
    ]);
  });

  it('orders subjects users, groups, service accounts and checks namespace:name', () => {
    assert.deepEqual(
      subjects(['bob'], ['devs'], ['shop:robot']).map((s) => s['kind']),
      ['User', 'Group', 'ServiceAccount'],
    );
    assert.throws(() => subjects([], [], ['robot']), { message: 'serviceaccount must be <namespace>:<name>' });
  });
});
