import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../types.ts';
import { tables } from './apps.ts';

const now = Date.parse('2026-11-26T10:21:05Z');
const ago = (ms: number): string => new Date(now - ms).toISOString();
const template = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'web', image: 'nginx:1.28' },
      { name: 'log', image: 'busybox' },
    ],
  },
};

describe('deployments', () => {
  const deployments = tables.deployments!;

  it('has the upstream columns', () => {
    assert.deepEqual(
      deployments.columns.map((c) => [c.name, c.type, c.priority]),
      [
        ['Name', 'string', 0],
        ['Ready', 'string', 0],
        ['Up-to-date', 'string', 0],
        ['Available', 'string', 0],
        ['Age', 'string', 0],
        ['Containers', 'string', 1],
        ['Images', 'string', 1],
        ['Selector', 'string', 1],
      ],
    );
  });

  it('READY is ready/desired; counts are integers; wide columns list containers', () => {
    const d: KObject = {
      metadata: { name: 'web', creationTimestamp: ago(3 * 60_000 + 2000) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
      status: { replicas: 3, readyReplicas: 1, updatedReplicas: 3, availableReplicas: 1 },
    };
    assert.deepEqual(deployments.cells(d, now), ['web', '1/3', 3, 1, '3m2s', 'web,log', 'nginx:1.28,busybox', 'app=web']);
  });

  it('a new deployment with no status; selector expressions', () => {
    const d: KObject = {
      metadata: { name: 'api', creationTimestamp: ago(1000) },
      spec: {
        replicas: 2,
        selector: {
          matchLabels: { tier: 'be' },
          matchExpressions: [
            { key: 'env', operator: 'In', values: ['prod', 'dev'] },
            { key: 'canary', operator: 'DoesNotExist' },
          ],
        },
        template,
      },
    };
    assert.deepEqual(deployments.cells(d, now).slice(1, 4), ['0/2', 0, 0]);
    assert.equal(deployments.cells(d, now)[7], '!canary,env in (dev,prod),tier=be');
  });
});

describe('replicasets, statefulsets, daemonsets, controllerrevisions', () => {
  it('replicasets print integer counts', () => {
    const rs: KObject = {
      metadata: { name: 'web-abc', creationTimestamp: ago(5000) },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': 'abc' } }, template },
      status: { replicas: 2, readyReplicas: 1 },
    };
    assert.deepEqual(tables.replicasets!.cells(rs, now), ['web-abc', 2, 2, 1, '5s', 'web,log', 'nginx:1.28,busybox', 'app=web,pod-template-hash=abc']);
  });

  it('statefulsets print READY as ready/desired', () => {
    const sts: KObject = { metadata: { name: 'db', creationTimestamp: ago(5000) }, spec: { replicas: 3, template }, status: { readyReplicas: 2 } };
    assert.deepEqual(tables.statefulsets!.cells(sts, now), ['db', '2/3', '5s', 'web,log', 'nginx:1.28,busybox']);
  });

  it('daemonsets print node selector and counts', () => {
    const ds: KObject = {
      metadata: { name: 'agent', creationTimestamp: ago(5000) },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
      status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 },
    };
    assert.deepEqual(tables.daemonsets!.cells(ds, now), ['agent', 2, 2, 1, 2, 1, 'kubernetes.io/os=linux', '5s', 'web,log', 'nginx:1.28,busybox', 'app=agent']);
  });

  it('controllerrevisions name their controller as kind.group/name', () => {
    const cr: KObject = {
      metadata: {
        name: 'agent-5d8',
        creationTimestamp: ago(5000),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', controller: true }],
      },
      revision: 2,
    };
    assert.deepEqual(tables.controllerrevisions!.cells(cr, now), ['agent-5d8', 'daemonset.apps/agent', 2, '5s']);
    assert.equal(tables.controllerrevisions!.cells({ metadata: { name: 'x' }, revision: 1 }, now)[1], '<none>');
  });
});
