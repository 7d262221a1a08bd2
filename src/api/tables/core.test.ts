import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject, TableConvertor } from '../types.ts';
import { tables } from './core.ts';
import { tables as eventsGroup } from './events.ts';

const now = Date.parse('2026-11-26T10:21:05Z');
const ago = (ms: number): string => new Date(now - ms).toISOString();
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', creationTimestamp: ago(5000), ...extra });

function table(plural: string): TableConvertor {
  const t = tables[plural];
  assert.ok(t, `no table for ${plural}`);
  return t;
}
const header = (t: TableConvertor) => t.columns.map((c) => [c.name, c.type, c.priority]);

describe('services', () => {
  const services = table('services');
  const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KObject => ({ metadata: meta('web'), spec, status });

  it('has the upstream columns', () => {
    assert.deepEqual(header(services), [
      ['Name', 'string', 0],
      ['Type', 'string', 0],
      ['Cluster-IP', 'string', 0],
      ['External-IP', 'string', 0],
      ['Port(s)', 'string', 0],
      ['Age', 'string', 0],
      ['Selector', 'string', 1],
    ]);
  });

  it('NodePort: node port in PORT(S), no external IP', () => {
    const s = svc({
      type: 'NodePort',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ports: [{ port: 80, nodePort: 31234, protocol: 'TCP', targetPort: 80 }],
      selector: { app: 'nginx', tier: 'fe' },
    });
    assert.deepEqual(services.cells(s, now), ['web', 'NodePort', '10.96.0.10', '<none>', '80:31234/TCP', '5s', 'app=nginx,tier=fe']);
  });

  it('ClusterIP with several ports and external IPs; no selector', () => {
    const s = svc({
      type: 'ClusterIP',
      clusterIPs: ['10.96.0.1'],
      externalIPs: ['1.2.3.4', '5.6.7.8'],
      ports: [
        { port: 443, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
    });
    assert.deepEqual(services.cells(s, now), ['web', 'ClusterIP', '10.96.0.1', '1.2.3.4,5.6.7.8', '443/TCP,53/UDP', '5s', '<none>']);
  });

  it('LoadBalancer: <pending>, then the sorted ingress points, plus external IPs', () => {
    const spec = { type: 'LoadBalancer', clusterIPs: ['10.96.0.2'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] };
    assert.equal(services.cells(svc(spec), now)[3], '<pending>');
    const status = { loadBalancer: { ingress: [{ ip: '192.0.2.9' }, { hostname: 'lb.example.com' }, { ip: '192.0.2.1' }] } };
    assert.equal(services.cells(svc(spec, status), now)[3], '192.0.2.1,192.0.2.9,lb.example.com');
    assert.equal(services.cells(svc({ ...spec, externalIPs: ['203.0.113.5'] }, status), now)[3], '192.0.2.1,192.0.2.9,lb.example.com,203.0.113.5');
  });

  it('ExternalName and headless services', () => {
    const ext = svc({ type: 'ExternalName', externalName: 'db.example.com' });
    assert.deepEqual(services.cells(ext, now).slice(1, 5), ['ExternalName', '<none>', 'db.example.com', '<none>']);
    const headless = svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432, protocol: 'TCP' }] });
    assert.deepEqual(services.cells(headless, now).slice(1, 5), ['ClusterIP', 'None', '<none>', '5432/TCP']);
  });
});

describe('nodes', () => {
  const nodes = table('nodes');
  const node = (labels: Record<string, string>, spec: Record<string, unknown>, status: Record<string, unknown>): KObject => ({
    metadata: { name: 'node1', creationTimestamp: ago(3 * 86_400_000 + 2 * 3_600_000), labels },
    spec,
    status,
  });
  const info = { kubeletVersion: 'v1.35.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', containerRuntimeVersion: 'containerd://1.6.20' };

  it('has the upstream columns', () => {
    assert.deepEqual(header(nodes), [
      ['Name', 'string', 0],
      ['Status', 'string', 0],
      ['Roles', 'string', 0],
      ['Age', 'string', 0],
      ['Version', 'string', 0],
      ['Internal-IP', 'string', 1],
      ['External-IP', 'string', 1],
      ['OS-Image', 'string', 1],
      ['Kernel-Version', 'string', 1],
      ['Container-Runtime', 'string', 1],
    ]);
  });

  it('Ready,SchedulingDisabled with roles from labels', () => {
    const n = node(
      { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/etcd': 'true', 'kubernetes.io/role': 'master', 'node-role.kubernetes.io/': '' },
      { unschedulable: true },
      {
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        addresses: [
          { type: 'Hostname', address: 'node1' },
          { type: 'InternalIP', address: '192.168.1.10' },
        ],
        nodeInfo: info,
      },
    );
    assert.deepEqual(nodes.cells(n, now), [
      'node1',
      'Ready,SchedulingDisabled',
      'control-plane,etcd,master',
      '3d2h',
      'v1.35.0',
      '192.168.1.10',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.1.0-18-amd64',
      'containerd://1.6.20',
    ]);
  });

  it('NotReady, Unknown, no roles, unknown node info', () => {
    const notReady = node({}, {}, { conditions: [{ type: 'Ready', status: 'Unknown' }] });
    assert.deepEqual(nodes.cells(notReady, now).slice(1, 3), ['NotReady', '<none>']);
    const fresh = node({}, {}, {});
    assert.deepEqual(nodes.cells(fresh, now), ['node1', 'Unknown', '<none>', '3d2h', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  });
});

describe('events', () => {
  const events = table('events');

  it('has the upstream columns, wide ones last', () => {
    assert.deepEqual(
      events.columns.map((c) => [c.name, c.priority, c.format]),
      [
        ['Last Seen', 0, ''],
        ['Type', 0, ''],
        ['Reason', 0, ''],
        ['Object', 0, ''],
        ['Subobject', 1, ''],
        ['Source', 1, ''],
        ['Message', 0, ''],
        ['First Seen', 1, ''],
        ['Count', 1, ''],
        ['Name', 1, 'name'],
      ],
    );
  });

  it('a core/v1 event', () => {
    const ev: KObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: meta('nginx-x.17f'),
      involvedObject: { kind: 'Pod', name: 'nginx-x', fieldPath: 'spec.containers{nginx}' },
      reason: 'Pulled',
      message: ' Successfully pulled image "nginx"\n',
      source: { component: 'kubelet', host: 'node1' },
      firstTimestamp: ago(10 * 60_000),
      lastTimestamp: ago(30_000),
      count: 3,
      type: 'Normal',
    };
    assert.deepEqual(events.cells(ev, now), [
      '30s',
      'Normal',
      'Pulled',
      'pod/nginx-x',
      'spec.containers{nginx}',
      'kubelet, node1',
      'Successfully pulled image "nginx"',
      '10m',
      3,
      'nginx-x.17f',
    ]);
  });

  it('a new-style singleton event: eventTime, reporting controller, count 1', () => {
    const ev: KObject = {
      metadata: meta('web.1'),
      involvedObject: { kind: 'Deployment', name: 'web' },
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set web-abc to 1',
      source: {},
      eventTime: '2026-11-26T10:20:05.123456Z',
      reportingComponent: 'deployment-controller',
      reportingInstance: '',
      type: 'Normal',
    };
    const cells = events.cells(ev, now);
    assert.deepEqual([cells[0], cells[5], cells[7], cells[8]], ['59s', 'deployment-controller', '59s', 1]);
  });

  it('events.k8s.io/v1 events print the same way, series giving count and last seen', () => {
    const ev: KObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: meta('node1.abc'),
      regarding: { kind: 'Node', name: 'node1' },
      reason: 'NodeReady',
      note: 'Node node1 status is now: NodeReady',
      eventTime: ago(2 * 3_600_000),
      series: { count: 4, lastObservedTime: ago(3 * 60_000) },
      reportingController: 'kubelet',
      reportingInstance: 'node1',
      type: 'Normal',
    };
    const expected = ['3m', 'Normal', 'NodeReady', 'node/node1', '', 'kubelet, node1', 'Node node1 status is now: NodeReady', '120m', 4, 'node1.abc'];
    assert.deepEqual(eventsGroup.events?.cells(ev, now), expected);
    assert.deepEqual(events.cells(ev, now), expected);
  });
});

describe('namespaces, configmaps, secrets, serviceaccounts', () => {
  it('namespaces show their phase', () => {
    const t = table('namespaces');
    assert.deepEqual(header(t), [
      ['Name', 'string', 0],
      ['Status', 'string', 0],
      ['Age', 'string', 0],
    ]);
    assert.deepEqual(t.cells({ metadata: meta('kube-system'), status: { phase: 'Active' } }, now), ['kube-system', 'Active', '5s']);
    assert.deepEqual(t.cells({ metadata: meta('old'), status: { phase: 'Terminating' } }, now), ['old', 'Terminating', '5s']);
  });

  it('configmaps count data and binaryData keys', () => {
    const t = table('configmaps');
    assert.deepEqual(header(t), [
      ['Name', 'string', 0],
      ['Data', 'string', 0],
      ['Age', 'string', 0],
    ]);
    assert.deepEqual(t.cells({ metadata: meta('cfg'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }, now), ['cfg', 3, '5s']);
    assert.deepEqual(t.cells({ metadata: meta('kube-root-ca.crt') }, now), ['kube-root-ca.crt', 0, '5s']);
  });

  it('secrets show type and key count', () => {
    const t = table('secrets');
    assert.deepEqual(header(t), [
      ['Name', 'string', 0],
      ['Type', 'string', 0],
      ['Data', 'string', 0],
      ['Age', 'string', 0],
    ]);
    const secret = { metadata: meta('sh.helm.release.v1.demo.v1'), type: 'helm.sh/release.v1', data: { release: 'H4sI' } };
    assert.deepEqual(t.cells(secret, now), ['sh.helm.release.v1.demo.v1', 'helm.sh/release.v1', 1, '5s']);
  });

  it('serviceaccounts count secrets', () => {
    assert.deepEqual(table('serviceaccounts').cells({ metadata: meta('default') }, now), ['default', 0, '5s']);
  });
});

describe('endpoints, volumes, quotas', () => {
  it('endpoints: up to three ip:port, then "+ N more..."', () => {
    const t = table('endpoints');
    const ep = {
      metadata: meta('web'),
      subsets: [
        {
          addresses: [{ ip: '10.244.0.5' }, { ip: '10.244.0.6' }],
          ports: [
            { name: 'http', port: 80 },
            { name: 'https', port: 443 },
          ],
        },
        { addresses: [{ ip: 'fd00::1' }], ports: [{ port: 8080 }] },
      ],
    };
    assert.deepEqual(t.cells(ep, now), ['web', '10.244.0.5:80,10.244.0.6:80,10.244.0.5:443 + 2 more...', '5s']);
    assert.equal(t.cells({ metadata: meta('v6'), subsets: [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }] }, now)[1], '[fd00::1]:80');
    assert.equal(t.cells({ metadata: meta('empty') }, now)[1], '<none>');
  });

  it('persistentvolumes and claims', () => {
    const pv = {
      metadata: meta('pv1'),
      spec: {
        capacity: { storage: '1.5Gi' },
        accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        claimRef: { namespace: 'default', name: 'data' },
        storageClassName: 'local-path',
        volumeMode: 'Filesystem',
      },
      status: { phase: 'Bound' },
    };
    assert.deepEqual(table('persistentvolumes').cells(pv, now), [
      'pv1',
      '1536Mi',
      'RWO,RWX',
      'Retain',
      'Bound',
      'default/data',
      'local-path',
      '<unset>',
      '',
      '5s',
      'Filesystem',
    ]);
    const pvc = {
      metadata: meta('data'),
      spec: { volumeName: 'pv1', storageClassName: 'local-path', volumeMode: 'Filesystem' },
      status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] },
    };
    assert.deepEqual(table('persistentvolumeclaims').cells(pvc, now), ['data', 'Bound', 'pv1', '10Gi', 'RWO', 'local-path', '<unset>', '5s', 'Filesystem']);
    const pending = { metadata: meta('wait', { deletionTimestamp: ago(1) }), spec: {}, status: { phase: 'Pending' } };
    assert.deepEqual(table('persistentvolumeclaims').cells(pending, now), ['wait', 'Terminating', '', '', '', '', '<unset>', '5s', '<unset>']);
  });

  it('resourcequotas split requests and limits', () => {
    const rq = {
      metadata: meta('quota'),
      status: {
        hard: { 'limits.cpu': '2', pods: '10', 'requests.memory': '1Gi', 'limits.memory': '2Gi' },
        used: { 'limits.cpu': '500m', pods: '3', 'requests.memory': '256Mi' },
      },
    };
    assert.deepEqual(table('resourcequotas').cells(rq, now), [
      'quota',
      'pods: 3/10, requests.memory: 256Mi/1Gi',
      'limits.cpu: 500m/2, limits.memory: 0/2Gi',
      '5s',
    ]);
  });
});

describe('events.k8s.io shape without apiVersion', () => {
  it('is recognised by its field names', () => {
    const ev: KObject = { metadata: meta('e'), regarding: { kind: 'Pod', name: 'p' }, note: 'hi', reason: 'R', type: 'Warning', eventTime: ago(2000) };
    assert.deepEqual(table('events').cells(ev, now).slice(0, 4), ['2s', 'Warning', 'R', 'pod/p']);
    assert.equal(table('events').cells(ev, now)[6], 'hi');
  });
});
