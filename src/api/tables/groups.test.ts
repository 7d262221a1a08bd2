// Smaller API groups: networking, discovery, autoscaling, policy, rbac, storage, scheduling, certificates, coordination.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../types.ts';
import { tableFor } from './index.ts';

const now = Date.parse('2026-11-26T10:21:05Z');
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, creationTimestamp: '2026-11-26T10:21:00Z', ...extra });
const cells = (group: string, plural: string, obj: KObject) => tableFor(group, plural).cells(obj, now);

describe('networking.k8s.io', () => {
  it('ingresses: class, hosts (max three), address, ports', () => {
    const ing: KObject = {
      metadata: meta('web'),
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: 'a.example.com' }, {}, { host: 'b.example.com' }, { host: 'c.example.com' }, { host: 'd.example.com' }],
        tls: [{ hosts: ['a.example.com'] }],
      },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
    };
    assert.deepEqual(cells('networking.k8s.io', 'ingresses', ing), ['web', 'nginx', 'a.example.com,b.example.com,c.example.com + 2 more...', '192.0.2.10', '80, 443', '5s']);
    assert.deepEqual(cells('networking.k8s.io', 'ingresses', { metadata: meta('bare'), spec: {} }), ['bare', '<none>', '*', '', '80', '5s']);
  });

  it('ingressclasses and networkpolicies', () => {
    const ic: KObject = { metadata: meta('nginx'), spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } } };
    assert.deepEqual(cells('networking.k8s.io', 'ingressclasses', ic), ['nginx', 'k8s.io/ingress-nginx', 'IngressParameters.k8s.example.com/p', '5s']);
    assert.deepEqual(cells('networking.k8s.io', 'networkpolicies', { metadata: meta('deny'), spec: { podSelector: {} } }), ['deny', '<none>', '5s']);
  });
});

describe('discovery.k8s.io', () => {
  it('endpointslices: address type, ports and endpoints', () => {
    const slice: KObject = {
      metadata: meta('web-x1'),
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'named' }],
      endpoints: [{ addresses: ['10.244.0.5'] }, { addresses: ['10.244.0.6'] }, { addresses: ['10.244.0.7'] }, { addresses: ['10.244.0.8'] }],
    };
    assert.deepEqual(cells('discovery.k8s.io', 'endpointslices', slice), ['web-x1', 'IPv4', '80,named', '10.244.0.5,10.244.0.6,10.244.0.7 + 1 more...', '5s']);
    assert.deepEqual(cells('discovery.k8s.io', 'endpointslices', { metadata: meta('empty'), addressType: 'IPv4' }), ['empty', 'IPv4', '<unset>', '<unset>', '5s']);
  });
});

describe('autoscaling', () => {
  it('horizontalpodautoscalers: reference, targets, min/max, replicas', () => {
    const hpa: KObject = {
      apiVersion: 'autoscaling/v2',
      metadata: meta('web'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
          { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1k' } } },
        ],
      },
      status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12 } } }] },
    };
    assert.deepEqual(cells('autoscaling', 'horizontalpodautoscalers', hpa), ['web', 'Deployment/web', 'cpu: 12%/50%, memory: <unknown>/100Mi + 1 more...', '1', 10, 2, '5s']);
  });

  it('autoscaling/v1 objects and no metrics', () => {
    const v1: KObject = {
      apiVersion: 'autoscaling/v1',
      metadata: meta('old'),
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'old' }, maxReplicas: 3, targetCPUUtilizationPercentage: 80 },
      status: { currentReplicas: 1 },
    };
    assert.deepEqual(cells('autoscaling', 'horizontalpodautoscalers', v1), ['old', 'Deployment/old', 'cpu: <unknown>/80%', '<unset>', 3, 1, '5s']);
    const none: KObject = { apiVersion: 'autoscaling/v2', metadata: meta('n'), spec: { scaleTargetRef: { kind: 'StatefulSet', name: 'db' }, maxReplicas: 2 } };
    assert.equal(cells('autoscaling', 'horizontalpodautoscalers', none)[2], '<none>');
  });
});

describe('policy, scheduling, coordination', () => {
  it('poddisruptionbudgets', () => {
    const pdb: KObject = { metadata: meta('web'), spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } };
    assert.deepEqual(cells('policy', 'poddisruptionbudgets', pdb), ['web', '50%', 'N/A', 1, '5s']);
    assert.deepEqual(cells('policy', 'poddisruptionbudgets', { metadata: meta('x'), spec: { maxUnavailable: 1 } }), ['x', 'N/A', '1', 0, '5s']);
  });

  it('priorityclasses', () => {
    const pc: KObject = { metadata: meta('system-node-critical'), value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' };
    assert.deepEqual(cells('scheduling.k8s.io', 'priorityclasses', pc), ['system-node-critical', 2000001000, false, '5s', 'PreemptLowerPriority']);
  });

  it('leases', () => {
    assert.deepEqual(cells('coordination.k8s.io', 'leases', { metadata: meta('node1'), spec: { holderIdentity: 'node1' } }), ['node1', 'node1', '5s']);
  });
});

describe('rbac.authorization.k8s.io', () => {
  it('rolebindings: role reference and subjects in the wide columns', () => {
    const rb: KObject = {
      metadata: meta('admins'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'Group', name: 'ops' },
        { kind: 'ServiceAccount', namespace: 'ci', name: 'deployer' },
        { kind: 'User', name: 'bob' },
      ],
    };
    assert.deepEqual(cells('rbac.authorization.k8s.io', 'rolebindings', rb), ['admins', 'ClusterRole/admin', '5s', 'alice, bob', 'ops', 'ci/deployer']);
    assert.deepEqual(
      tableFor('rbac.authorization.k8s.io', 'clusterrolebindings').columns.map((c) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['Role', 0],
        ['Age', 0],
        ['Users', 1],
        ['Groups', 1],
        ['ServiceAccounts', 1],
      ],
    );
  });

  it('roles print NAME and CREATED AT', () => {
    assert.deepEqual(cells('rbac.authorization.k8s.io', 'roles', { metadata: meta('reader') }), ['reader', '2026-11-26T10:21:00Z']);
  });
});

describe('storage.k8s.io and certificates.k8s.io', () => {
  it('storageclasses mark the default class and fill in defaults', () => {
    const sc: KObject = {
      metadata: meta('local-path', { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }),
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
    };
    assert.deepEqual(cells('storage.k8s.io', 'storageclasses', sc), ['local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '5s']);
  });

  it('csidrivers, csinodes and volumeattachments', () => {
    const drv: KObject = { metadata: meta('csi.example.com'), spec: { podInfoOnMount: true, volumeLifecycleModes: ['Persistent', 'Ephemeral'] } };
    assert.deepEqual(cells('storage.k8s.io', 'csidrivers', drv), ['csi.example.com', true, true, false, '<unset>', false, 'Persistent,Ephemeral', '5s']);
    assert.deepEqual(cells('storage.k8s.io', 'csinodes', { metadata: meta('node1'), spec: { drivers: [{ name: 'a' }] } }), ['node1', 1, '5s']);
    const va: KObject = { metadata: meta('csi-123'), spec: { attacher: 'csi.example.com', source: { persistentVolumeName: 'pv1' }, nodeName: 'node1' }, status: { attached: true } };
    assert.deepEqual(cells('storage.k8s.io', 'volumeattachments', va), ['csi-123', 'csi.example.com', 'pv1', 'node1', true, '5s']);
  });

  it('certificatesigningrequests', () => {
    const csr: KObject = {
      metadata: meta('node-csr-1'),
      spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', username: 'system:bootstrap:abcdef', expirationSeconds: 86400 },
      status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' },
    };
    assert.deepEqual(cells('certificates.k8s.io', 'certificatesigningrequests', csr), [
      'node-csr-1',
      '5s',
      'kubernetes.io/kube-apiserver-client-kubelet',
      'system:bootstrap:abcdef',
      '24h',
      'Approved,Issued',
    ]);
    const pending: KObject = { metadata: meta('x'), spec: { username: 'u' } };
    assert.deepEqual(cells('certificates.k8s.io', 'certificatesigningrequests', pending).slice(2), ['<none>', 'u', '<none>', 'Pending']);
  });
});
