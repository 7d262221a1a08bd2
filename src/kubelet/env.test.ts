import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { EnvironmentBuilder, expand, expandSubPathExpr, mappingFor, serviceEnvVars } from './env.ts';
import type { KeyValue } from './runtime.ts';

const NS = 'envtest';
const secretsGVR = { group: '', version: 'v1', resource: 'secrets' };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const asObject = (kvs: KeyValue[]) => Object.fromEntries(kvs.map((kv) => [kv.key, kv.value]));
const svc = (namespace: string, name: string, clusterIP: string, ports: Array<{ name?: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }>): Service => ({
  metadata: { namespace, name },
  spec: { clusterIP, ports },
});

describe('$(VAR) expansion', () => {
  const mapping = mappingFor(new Map([['A', 'alpha'], ['B', 'beta']]), new Map([['A', 'shadowed'], ['S', 'svc']]));
  const cases: Array<[string, string]> = [
    ['$(A)', 'alpha'],
    ['x$(A)y$(B)z', 'xalphaybetaz'],
    ['$(S)', 'svc'],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$alpha'],
    ['$$', '$'],
    ['a$', 'a$'],
    ['$x$(A)', '$xalpha'],
    ['$(A', '$(A'],
    ['$()', '$()'],
    ['$($(A))', '$($(A))'],
    ['no vars', 'no vars'],
  ];
  for (const [input, want] of cases) it(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => assert.equal(expand(input, mapping), want));

  it('a subPathExpr needs every variable to have a value', () => {
    const env = [{ key: 'POD', value: 'web-0' }, { key: 'EMPTY', value: '' }];
    assert.equal(expandSubPathExpr('logs/$(POD)', env), 'logs/web-0');
    assert.throws(() => expandSubPathExpr('$(NOPE)/$(EMPTY)/$(POD)', env), { name: 'ContainerConfigError', message: 'missing value for EMPTY, NOPE' });
  });
});

describe('service environment variables', () => {
  it("are upstream's Docker-link variables, per port", () => {
    const vars = serviceEnvVars([
      svc(NS, 'my-svc', '10.96.0.11', [{ name: 'http', port: 80 }, { name: 'metrics-port', port: 9090, protocol: 'UDP' }]),
    ]);
    assert.deepEqual(vars, [
      { key: 'MY_SVC_SERVICE_HOST', value: '10.96.0.11' },
      { key: 'MY_SVC_SERVICE_PORT', value: '80' },
      { key: 'MY_SVC_SERVICE_PORT_HTTP', value: '80' },
      { key: 'MY_SVC_SERVICE_PORT_METRICS_PORT', value: '9090' },
      { key: 'MY_SVC_PORT', value: 'tcp://10.96.0.11:80' },
      { key: 'MY_SVC_PORT_80_TCP', value: 'tcp://10.96.0.11:80' },
      { key: 'MY_SVC_PORT_80_TCP_PROTO', value: 'tcp' },
      { key: 'MY_SVC_PORT_80_TCP_PORT', value: '80' },
      { key: 'MY_SVC_PORT_80_TCP_ADDR', value: '10.96.0.11' },
      { key: 'MY_SVC_PORT_9090_UDP', value: 'udp://10.96.0.11:9090' },
      { key: 'MY_SVC_PORT_9090_UDP_PROTO', value: 'udp' },
      { key: 'MY_SVC_PORT_9090_UDP_PORT', value: '9090' },
      { key: 'MY_SVC_PORT_9090_UDP_ADDR', value: '10.96.0.11' },
    ]);
  });

  it('bracket IPv6 cluster IPs and skip services without a cluster IP', () => {
    const vars = asObject(serviceEnvVars([svc(NS, 'v6', 'fd00::10', [{ port: 53, protocol: 'UDP' }]), svc(NS, 'headless', 'None', [{ port: 80 }]), svc(NS, 'none', '', [{ port: 80 }])]));
    assert.equal(vars['V6_PORT'], 'udp://[fd00::10]:53');
    assert.equal(vars['V6_SERVICE_HOST'], 'fd00::10');
    assert.equal(Object.keys(vars).some((k) => k.startsWith('HEADLESS') || k.startsWith('NONE')), false);
  });
});

describe('EnvironmentBuilder', () => {
  let cluster: TestCluster;
  const warnings: string[] = [];
  const services: Service[] = [
    svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443 }]),
    svc(NS, 'db', '10.96.0.20', [{ port: 5432 }]),
    svc(NS, 'headless', 'None', [{ port: 80 }]),
    svc('other', 'elsewhere', '10.96.0.30', [{ port: 80 }]),
  ];
  let builder: EnvironmentBuilder;
  const allocatable = { cpu: '8', memory: '16Gi', 'ephemeral-storage': '50Gi' };

  before(async () => {
    cluster = await startTestCluster();
    const { client } = cluster;
    await client.create(gvr.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await client.create(gvr.configmaps, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { MODE: 'fast', LEVEL: 'from-configmap' } } as KubeObject);
    await client.create(secretsGVR, NS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { PASSWORD: b64('s3cret'), USER: b64('admin') } } as KubeObject);
    builder = new EnvironmentBuilder({
      client,
      nodeName: 'node-1',
      hostIPs: ['192.168.1.10', 'fd00::1'],
      serviceLister: () => services,
      allocatable,
      onWarning: (_pod, reason, message) => warnings.push(`${reason}: ${message}`),
    });
  });
  after(() => cluster?.stop());

  const pod = (container: Container, spec: Partial<Pod['spec']> = {}): Pod => ({
    metadata: { name: 'web-0', namespace: NS, uid: 'uid-123', labels: { app: 'web' }, annotations: { 'example.com/owner': 'team-a' } },
    spec: { nodeName: 'node-1', serviceAccountName: 'builder', containers: [container], ...spec },
  });

  it('lists envFrom and env in declaration order, then the service variables not already set', async () => {
    const container: Container = {
      name: 'app',
      envFrom: [{ configMapRef: { name: 'settings' } }, { prefix: 'DB_', secretRef: { name: 'creds' } }],
      env: [
        { name: 'LEVEL', value: 'from-env' },
        { name: 'DB_SERVICE_PORT', value: 'overridden' },
        { name: 'GREETING', value: 'hello $(DB_USER) at $(DB_SERVICE_HOST):$(DB_SERVICE_PORT), mode $(MODE), later $(LATER), $$(MODE)' },
        { name: 'LATER', value: 'late' },
      ],
    };
    const env = await builder.env(pod(container), container, ['10.244.0.7']);
    const keys = env.map((kv) => kv.key);
    assert.deepEqual(keys.slice(0, 8), ['MODE', 'LEVEL', 'DB_PASSWORD', 'DB_USER', 'DB_SERVICE_PORT', 'GREETING', 'LATER', 'DB_SERVICE_HOST']);
    assert.equal(new Set(keys).size, keys.length, 'no variable twice');
    const vars = asObject(env);
    assert.equal(vars['LEVEL'], 'from-env');
    assert.equal(vars['DB_PASSWORD'], 's3cret');
    assert.equal(vars['DB_SERVICE_PORT'], 'overridden');
    assert.equal(vars['GREETING'], 'hello admin at 10.96.0.20:overridden, mode fast, later $(LATER), $(MODE)');
    assert.equal(vars['KUBERNETES_SERVICE_HOST'], '10.96.0.1');
    assert.equal(vars['KUBERNETES_PORT_443_TCP'], 'tcp://10.96.0.1:443');
    assert.equal(vars['DB_PORT'], 'tcp://10.96.0.20:5432');
    assert.equal(Object.keys(vars).some((k) => k.startsWith('HEADLESS') || k.startsWith('ELSEWHERE')), false);
    assert.deepEqual(warnings, []);
  });

  it('skips names that cannot be environment variables, with a warning for an event', async () => {
    const container: Container = { name: 'app', envFrom: [{ prefix: 'A=', configMapRef: { name: 'settings' } }] };
    const vars = asObject(await builder.env(pod(container, { enableServiceLinks: false }), container, []));
    assert.equal(Object.keys(vars).some((k) => k.includes('=')), false);
    assert.deepEqual(warnings.splice(0), [
      `InvalidEnvironmentVariableNames: Keys [A=LEVEL, A=MODE] from the EnvFrom configMap ${NS}/settings were skipped since they are considered invalid environment variable names.`,
    ]);
  });

  it('gives pods without service links only the master services', async () => {
    const container: Container = { name: 'app' };
    const vars = asObject(await builder.env(pod(container, { enableServiceLinks: false }), container, []));
    assert.equal(vars['KUBERNETES_SERVICE_PORT_HTTPS'], '443');
    assert.equal(vars['DB_SERVICE_HOST'], undefined);
  });

  it('resolves the downward API: pod fields, node and pod IPs, and resources in divisor units', async () => {
    const container: Container = {
      name: 'app',
      resources: { limits: { memory: '256Mi' }, requests: { cpu: '250m' } },
      env: [
        ['NAME', 'metadata.name'], ['NAMESPACE', 'metadata.namespace'], ['UID', 'metadata.uid'], ['APP', "metadata.labels['app']"],
        ['OWNER', "metadata.annotations['example.com/owner']"], ['NODE', 'spec.nodeName'], ['SA', 'spec.serviceAccountName'],
        ['HOST_IP', 'status.hostIP'], ['HOST_IPS', 'status.hostIPs'], ['POD_IP', 'status.podIP'], ['POD_IPS', 'status.podIPs'],
      ].map(([name, fieldPath]) => ({ name: name!, valueFrom: { fieldRef: { fieldPath: fieldPath! } } }))
        .concat([
          { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } } as never,
          { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } } as never,
          { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } } as never,
          { name: 'OTHER_CPU', valueFrom: { resourceFieldRef: { containerName: 'app', resource: 'requests.cpu' } } } as never,
        ]),
    };
    const env = await builder.env(pod(container), container, ['fd00::7', '10.244.0.7']);
    assert.deepEqual(asObject(env.slice(0, container.env!.length)), {
      NAME: 'web-0', NAMESPACE: NS, UID: 'uid-123', APP: 'web', OWNER: 'team-a', NODE: 'node-1', SA: 'builder',
      // The node's IP family first.
      HOST_IP: '192.168.1.10', HOST_IPS: '192.168.1.10,fd00::1', POD_IP: '10.244.0.7', POD_IPS: '10.244.0.7,fd00::7',
      // An unset limit is the node's allocatable; requests round up to the divisor.
      MEM_MI: '256', CPU_LIMIT: '8', CPU_REQ_M: '250', OTHER_CPU: '1',
    });
  });

  it("reads keys from ConfigMaps and Secrets, leaving out optional ones that are missing", async () => {
    const container: Container = {
      name: 'app',
      env: [
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
        { name: 'GONE_KEY', valueFrom: { configMapKeyRef: { name: 'settings', key: 'nope', optional: true } } },
        { name: 'GONE_CM', valueFrom: { configMapKeyRef: { name: 'absent', key: 'x', optional: true } } },
        { name: 'GONE_SECRET', valueFrom: { secretKeyRef: { name: 'absent', key: 'x', optional: true } } },
      ],
      envFrom: [{ configMapRef: { name: 'absent', optional: true } }],
    };
    const vars = asObject(await builder.env(pod(container), container, []));
    assert.equal(vars['MODE'], 'fast');
    assert.equal(vars['PW'], 's3cret');
    for (const k of ['GONE_KEY', 'GONE_CM', 'GONE_SECRET']) assert.equal(k in vars, false, k);
  });

  it("fails with CreateContainerConfigError's messages when a required source is missing", async () => {
    const attempt = (env: Container['env'], envFrom?: Container['envFrom']) => {
      const c: Container = { name: 'app', env: env ?? [], ...(envFrom ? { envFrom } : {}) };
      return builder.env(pod(c), c, []);
    };
    await assert.rejects(attempt([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k' } } }]), { name: 'ContainerConfigError', message: 'configmap "absent" not found' });
    await assert.rejects(attempt([{ name: 'X', valueFrom: { secretKeyRef: { name: 'absent', key: 'k' } } }]), { name: 'ContainerConfigError', message: 'secret "absent" not found' });
    await assert.rejects(attempt([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'k' } } }]), { message: `couldn't find key k in ConfigMap ${NS}/settings` });
    await assert.rejects(attempt([{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }]), { message: `couldn't find key k in Secret ${NS}/creds` });
    await assert.rejects(attempt([], [{ secretRef: { name: 'absent' } }]), { message: 'secret "absent" not found' });
    await assert.rejects(attempt([{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }]), { message: 'field label not supported: spec.hostname' });
  });

  it('reads services from the API server: listed per call, or watched once started', async () => {
    const { client } = cluster;
    await client.create(gvr.services, NS, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cache' }, spec: { ports: [{ name: 'redis', port: 6379 }] } } as KubeObject);
    const container: Container = { name: 'app' };
    const listing = new EnvironmentBuilder({ client, nodeName: 'node-1', hostIPs: [] });
    const listed = asObject(await listing.env(pod(container), container, []));
    assert.match(listed['CACHE_SERVICE_HOST'] ?? '', /^10\.\d+\.\d+\.\d+$/);
    assert.equal(listed['CACHE_SERVICE_PORT_REDIS'], '6379');

    const watching = new EnvironmentBuilder({ client, nodeName: 'node-1', hostIPs: [] });
    const stop = new AbortController();
    const running = watching.start(stop.signal);
    try {
      assert.equal(asObject(await watching.env(pod(container), container, []))['CACHE_SERVICE_PORT'], '6379');
      await client.create(gvr.services, NS, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'queue' }, spec: { ports: [{ port: 5672 }] } } as KubeObject);
      await eventually('the new service in the environment', async () => asObject(await watching.env(pod(container), container, []))['QUEUE_SERVICE_PORT']);
    } finally {
      stop.abort();
      await running;
    }
  });
});
