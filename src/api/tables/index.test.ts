import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../types.ts';
import { defaultTable, tableFor, tablesByGroup } from './index.ts';

const now = Date.parse('2026-11-26T10:21:05Z');

describe('tableFor', () => {
  it('finds each group\'s tables by plural', () => {
    assert.equal(tableFor('', 'pods').columns[1]?.name, 'Ready');
    assert.equal(tableFor('apps', 'deployments').columns[1]?.name, 'Ready');
    assert.equal(tableFor('events.k8s.io', 'events').columns[0]?.name, 'Last Seen');
    assert.equal(tableFor('networking.k8s.io', 'ingresses').columns[1]?.name, 'Class');
    assert.equal(tableFor('rbac.authorization.k8s.io', 'rolebindings').columns[1]?.name, 'Role');
  });

  it('falls back to the default NAME / CREATED AT table', () => {
    for (const [group, plural] of [
      ['', 'limitranges'],
      ['rbac.authorization.k8s.io', 'roles'],
      ['rbac.authorization.k8s.io', 'clusterroles'],
      ['apiextensions.k8s.io', 'customresourcedefinitions'],
      ['example.com', 'widgets'],
      ['', 'toString'],
      ['constructor', 'pods'],
    ] as const) {
      assert.equal(tableFor(group, plural), defaultTable, `${group}/${plural}`);
    }
  });
});

describe('default table', () => {
  it('has Name and a Created At date', () => {
    assert.deepEqual(
      defaultTable.columns.map((c) => [c.name, c.type, c.format, c.priority]),
      [
        ['Name', 'string', 'name', 0],
        ['Created At', 'date', '', 0],
      ],
    );
    assert.match(defaultTable.columns[1]?.description ?? '', /^CreationTimestamp is a timestamp/);
  });

  it('prints the creation time as RFC 3339 UTC', () => {
    const obj: KObject = { metadata: { name: 'admin', creationTimestamp: '2026-11-26T10:21:00Z' } };
    assert.deepEqual(defaultTable.cells(obj, now), ['admin', '2026-11-26T10:21:00Z']);
    assert.deepEqual(defaultTable.cells({ metadata: { name: 'x' } }, now), ['x', '0001-01-01T00:00:00Z']);
  });
});

describe('every table', () => {
  // upstream's IPAddress printer emits an age cell beyond its two columns
  const extraCells: Record<string, number> = { 'networking.k8s.io/ipaddresses': 1 };

  it('gives one cell per column, even for a bare object', () => {
    for (const [group, tables] of Object.entries(tablesByGroup)) {
      for (const [plural, table] of Object.entries(tables)) {
        const key = `${group}/${plural}`;
        const cells = table.cells({ metadata: { name: 'x', creationTimestamp: '2026-11-26T10:21:00Z' } }, now);
        assert.equal(cells.length, table.columns.length + (extraCells[key] ?? 0), key);
        assert.equal(cells[table.columns.findIndex((c) => c.name === 'Name')], 'x', key);
        for (const cell of cells) assert.ok(['string', 'number', 'boolean'].includes(typeof cell), `${key}: ${String(cell)}`);
      }
    }
  });

  it('has a description on every column and Age where upstream has it', () => {
    for (const [group, tables] of Object.entries(tablesByGroup)) {
      for (const [plural, table] of Object.entries(tables)) {
        for (const c of table.columns) assert.ok(c.description.length > 0, `${group}/${plural} ${c.name}`);
        const age = table.columns.findIndex((c) => c.name === 'Age');
        if (age >= 0) {
          const cells = table.cells({ metadata: { name: 'x', creationTimestamp: '2026-11-26T10:21:00Z' } }, now);
          assert.equal(cells[age], '5s', `${group}/${plural}`);
        }
      }
    }
  });

  it('covers the built-in resources kubectl users list', () => {
    const expected: Record<string, string[]> = {
      '': ['pods', 'podtemplates', 'replicationcontrollers', 'services', 'endpoints', 'nodes', 'namespaces', 'events', 'secrets', 'serviceaccounts', 'persistentvolumes', 'persistentvolumeclaims', 'configmaps', 'limitranges', 'resourcequotas'],
      apps: ['replicasets', 'deployments', 'daemonsets', 'statefulsets', 'controllerrevisions'],
      batch: ['jobs', 'cronjobs'],
      'coordination.k8s.io': ['leases'],
      'discovery.k8s.io': ['endpointslices'],
      'events.k8s.io': ['events'],
      'rbac.authorization.k8s.io': ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
      'scheduling.k8s.io': ['priorityclasses'],
      policy: ['poddisruptionbudgets'],
      autoscaling: ['horizontalpodautoscalers'],
      'networking.k8s.io': ['ingresses', 'ingressclasses', 'networkpolicies'],
      'storage.k8s.io': ['storageclasses', 'csidrivers', 'csinodes', 'volumeattachments'],
      'certificates.k8s.io': ['certificatesigningrequests'],
      'apiextensions.k8s.io': ['customresourcedefinitions'],
    };
    for (const [group, plurals] of Object.entries(expected)) {
      for (const plural of plurals) assert.ok(tablesByGroup[group]?.[plural], `${group}/${plural}`);
    }
  });
});
