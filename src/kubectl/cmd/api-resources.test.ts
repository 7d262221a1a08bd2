import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceInfo } from '../discovery.ts';
import { formatApiResources, preferredResources, selectResources } from './api-resources.ts';

const r = (group: string, version: string, resource: string, kind: string, extra: Partial<ResourceInfo> = {}): ResourceInfo => ({
  group,
  version,
  resource,
  kind,
  singular: kind.toLowerCase(),
  shortNames: [],
  namespaced: true,
  verbs: ['get', 'list'],
  categories: [],
  ...extra,
});

describe('api-resources', () => {
  const data = {
    groupVersions: [],
    resources: [
      r('', 'v1', 'pods', 'Pod', { shortNames: ['po'], categories: ['all'], verbs: ['create', 'get', 'list', 'watch'] }),
      r('', 'v1', 'bindings', 'Binding', { verbs: ['create'] }),
      r('', 'v1', 'componentstatuses', 'ComponentStatus', { verbs: [] }),
      r('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
      r('autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
      r('apps', 'v1', 'deployments', 'Deployment', { shortNames: ['deploy'] }),
      r('', 'v1', 'nodes', 'Node', { namespaced: false }),
      r('events.k8s.io', 'v1', 'events', 'Event'),
      r('', 'v1', 'events', 'Event'),
    ],
  };

  it('keeps each resource once, from its preferred (first) version', () => {
    const all = preferredResources(data);
    assert.deepEqual(
      all.filter((x) => x.resource === 'horizontalpodautoscalers').map((x) => x.version),
      ['v2'],
    );
  });

  it('sorts by group then name, drops verb-less resources and applies the filters', () => {
    const all = preferredResources(data);
    const names = (xs: ResourceInfo[]) => xs.map((x) => `${x.resource}.${x.group}`);
    assert.deepEqual(names(selectResources(all, { verbs: [], categories: [], sortBy: '' })), [
      'bindings.',
      'events.',
      'nodes.',
      'pods.',
      'deployments.apps',
      'horizontalpodautoscalers.autoscaling',
      'events.events.k8s.io',
    ]);
    assert.deepEqual(names(selectResources(all, { verbs: ['list', 'watch'], categories: [], sortBy: '' })), ['pods.']);
    assert.deepEqual(names(selectResources(all, { namespaced: false, verbs: [], categories: [], sortBy: '' })), ['nodes.']);
    assert.deepEqual(names(selectResources(all, { apiGroup: 'apps', verbs: [], categories: [], sortBy: '' })), ['deployments.apps']);
    assert.deepEqual(names(selectResources(all, { verbs: [], categories: ['all'], sortBy: '' })), ['pods.']);
    // Equal kinds fall back to the name; equal names keep discovery order.
    assert.deepEqual(names(selectResources(all, { verbs: [], categories: [], sortBy: 'kind' })).slice(0, 4), ['bindings.', 'deployments.apps', 'events.events.k8s.io', 'events.']);
  });

  it('prints the table, wide columns and names as kubectl does', () => {
    const rows = [r('', 'v1', 'pods', 'Pod', { shortNames: ['po'], categories: ['all'] }), r('apps', 'v1', 'deployments', 'Deployment', { shortNames: ['deploy'] })];
    assert.equal(
      formatApiResources(rows, '', false),
      'NAME          SHORTNAMES   APIVERSION   NAMESPACED   KIND\npods          po           v1           true         Pod\ndeployments   deploy       apps/v1      true         Deployment\n',
    );
    assert.equal(formatApiResources(rows, 'wide', true), 'pods          po       v1        true   Pod          get,list   all\ndeployments   deploy   apps/v1   true   Deployment   get,list   \n');
    assert.equal(formatApiResources(rows, 'name', false), 'pods\ndeployments.apps\n');
  });
});
