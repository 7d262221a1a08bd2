import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kindString, parseAggregated, resolveResource, resourceString } from './discovery.ts';

const data = parseAggregated([
  {
    items: [
      {
        metadata: {},
        versions: [
          {
            version: 'v1',
            resources: [
              { resource: 'pods', responseKind: { kind: 'Pod' }, scope: 'Namespaced', singularResource: 'pod', shortNames: ['po'] },
              { resource: 'pods/log', responseKind: { kind: 'Pod' }, scope: 'Namespaced' },
              { resource: 'events', responseKind: { kind: 'Event' }, scope: 'Namespaced', singularResource: 'event', shortNames: ['ev'] },
              { resource: 'namespaces', responseKind: { kind: 'Namespace' }, scope: 'Cluster', singularResource: 'namespace', shortNames: ['ns'] },
            ],
          },
        ],
      },
    ],
  },
  {
    items: [
      {
        metadata: { name: 'apps' },
        versions: [{ version: 'v1', resources: [{ resource: 'deployments', responseKind: { kind: 'Deployment' }, scope: 'Namespaced', singularResource: 'deployment', shortNames: ['deploy'] }] }],
      },
      {
        metadata: { name: 'events.k8s.io' },
        versions: [{ version: 'v1', resources: [{ resource: 'events', responseKind: { kind: 'Event' }, scope: 'Namespaced', singularResource: 'event', shortNames: ['ev'] }] }],
      },
    ],
  },
]);

describe('resource resolution', () => {
  it('finds plurals, singulars, short names and kinds, case-insensitively', () => {
    for (const typed of ['pods', 'pod', 'po', 'Pod', 'PODS']) assert.equal(resolveResource(data, typed)?.resource, 'pods', typed);
    assert.equal(resolveResource(data, 'ns')?.namespaced, false);
    assert.equal(resolveResource(data, 'Deployment')?.group, 'apps');
  });

  it('honours group and version qualification', () => {
    assert.equal(resolveResource(data, 'deployments.apps')?.resource, 'deployments');
    assert.equal(resolveResource(data, 'deploy.apps')?.resource, 'deployments');
    assert.equal(resolveResource(data, 'deployment.v1.apps')?.version, 'v1');
    assert.equal(resolveResource(data, 'deployments.batch'), undefined);
    assert.equal(resolveResource(data, 'events')?.group, '', 'the core group comes first');
    assert.equal(resolveResource(data, 'events.events.k8s.io')?.group, 'events.k8s.io');
  });

  it('never resolves subresources or unknown names', () => {
    assert.equal(resolveResource(data, 'log'), undefined);
    assert.equal(resolveResource(data, 'foo'), undefined);
  });

  it('spells types as kubectl does in messages', () => {
    const deploy = resolveResource(data, 'deploy')!;
    assert.equal(kindString(deploy), 'deployment.apps');
    assert.equal(resourceString(deploy), 'deployments.apps');
    assert.equal(kindString(resolveResource(data, 'po')!), 'pod');
  });
});
