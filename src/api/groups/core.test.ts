import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject, ResourceType, ServiceAllocators, StrategyContext } from '../types.ts';
import { resources } from './core.ts';

const type = (plural: string): ResourceType => resources.find((r) => r.plural === plural)!;

/** A fake allocator handing out 10.96.0.10, .11 … and 30000, 30001 …, recording every call. */
function fakeAllocators(): ServiceAllocators & { ips: Set<string>; ports: Set<number>; calls: string[] } {
  let nextIP = 10;
  let nextPort = 30000;
  const ips = new Set<string>();
  const ports = new Set<number>();
  const calls: string[] = [];
  return {
    ips,
    ports,
    calls,
    allocateClusterIP(requested) {
      calls.push(`ip:${requested ?? ''}`);
      const ip = requested ?? `10.96.0.${nextIP++}`;
      if (ips.has(ip)) throw new Error(`${ip} already allocated`);
      ips.add(ip);
      return ip;
    },
    allocateNodePort(requested) {
      calls.push(`port:${requested ?? ''}`);
      const port = requested ?? nextPort++;
      if (ports.has(port)) throw new Error(`${port} already allocated`);
      ports.add(port);
      return port;
    },
    releaseClusterIP(ip) {
      calls.push(`release-ip:${ip}`);
      ips.delete(ip);
    },
    releaseNodePort(port) {
      calls.push(`release-port:${port}`);
      ports.delete(port);
    },
  };
}

function service(spec: Record<string, unknown>): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec };
}

function createService(obj: KObject, ctx: StrategyContext): KObject {
  const t = type('services');
  t.defaults!(obj);
  t.prepareForCreate!(obj, ctx);
  return obj;
}

function updateService(next: KObject, old: KObject, ctx: StrategyContext): KObject {
  const t = type('services');
  next.metadata!.resourceVersion = '2';
  t.defaults!(next);
  t.prepareForUpdate!(next, old, ctx);
  return next;
}

describe('Service', () => {
  it('gets upstream defaults, a cluster IP and IPv4 single-stack families', () => {
    const alloc = fakeAllocators();
    const svc = createService(service({ selector: { app: 'web' }, ports: [{ port: 80 }] }), { allocators: alloc });
    assert.deepEqual(svc['spec'], {
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
    assert.deepEqual(svc['status'], { loadBalancer: {} });
    assert.deepEqual(type('services').validateCreate!(svc), []);
  });

  it('allocates a node port per port, shared between protocols of one port number', () => {
    const alloc = fakeAllocators();
    const svc = createService(
      service({ type: 'NodePort', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'web', port: 80, targetPort: 8080 }] }),
      { allocators: alloc },
    );
    const ports = svc['spec'].ports as Array<Record<string, unknown>>;
    assert.deepEqual(ports.map((p) => p['nodePort']), [30000, 30000, 30001]);
    assert.equal(svc['spec'].externalTrafficPolicy, 'Cluster');
    assert.equal(ports[2]!['targetPort'], 8080);
    assert.deepEqual(type('services').validateCreate!(svc), []);
  });

  it('honours requested addresses and allocates nothing for headless and ExternalName services', () => {
    const alloc = fakeAllocators();
    const fixed = createService(service({ clusterIP: '10.96.0.99', type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }), { allocators: alloc });
    assert.deepEqual(fixed['spec'].clusterIPs, ['10.96.0.99']);
    assert.deepEqual(alloc.calls, ['ip:10.96.0.99', 'port:31000']);
    alloc.calls.length = 0;
    const headless = createService(service({ clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] }), { allocators: alloc });
    assert.deepEqual([headless['spec'].clusterIPs, headless['spec'].ipFamilyPolicy, headless['spec'].ipFamilies], [['None'], 'SingleStack', ['IPv4']]);
    const external = createService(service({ type: 'ExternalName', externalName: 'example.com' }), { allocators: alloc });
    assert.equal(external['spec'].clusterIP, undefined);
    assert.equal(external['spec'].ipFamilies, undefined);
    assert.deepEqual(alloc.calls, []);
    assert.deepEqual(type('services').validateCreate!(external), []);
  });

  it('gives LoadBalancer services node ports and a health check port for Local traffic', () => {
    const alloc = fakeAllocators();
    const lb = createService(service({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 443 }] }), { allocators: alloc });
    assert.equal(lb['spec'].allocateLoadBalancerNodePorts, true);
    assert.equal(lb['spec'].ports[0].nodePort, 30000);
    assert.equal(lb['spec'].healthCheckNodePort, 30001);
    assert.deepEqual(type('services').validateCreate!(lb), []);
  });

  it('keeps allocations on update and allocates node ports when the type becomes NodePort', () => {
    const alloc = fakeAllocators();
    const old = createService(service({ selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] }), { allocators: alloc });
    old.metadata!.resourceVersion = '1';
    alloc.calls.length = 0;
    // A client that sends the Service back without clusterIP (as kubectl apply may) keeps its address.
    const same = updateService(service({ selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] }), old, { allocators: alloc });
    assert.deepEqual([same['spec'].clusterIP, same['spec'].clusterIPs], ['10.96.0.10', ['10.96.0.10']]);
    assert.deepEqual(alloc.calls, []);
    const asNodePort = updateService(service({ ...structuredClone(old['spec']), type: 'NodePort' }), old, { allocators: alloc });
    assert.equal(asNodePort['spec'].ports[0].nodePort, 30000);
    assert.equal(asNodePort['spec'].clusterIP, '10.96.0.10');
    assert.deepEqual(alloc.calls, ['port:']);
    assert.deepEqual(type('services').validateUpdate!(asNodePort, old), []);
    // Back to ClusterIP: the untouched node ports are dropped (and freed with the old object).
    asNodePort.metadata!.resourceVersion = '3';
    const back = updateService(service({ ...structuredClone(asNodePort['spec']), type: 'ClusterIP' }), asNodePort, { allocators: alloc });
    assert.equal(back['spec'].ports[0].nodePort, undefined);
    assert.equal(back['spec'].externalTrafficPolicy, undefined);
  });

  it('releases what it took when an allocation fails part-way', () => {
    const alloc = fakeAllocators();
    alloc.ports.add(31000);
    assert.throws(() => createService(service({ type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 31000 }] }), { allocators: alloc }), /31000/);
    assert.deepEqual([...alloc.ips], []);
    assert.deepEqual([...alloc.ports], [31000]);
  });

  it('rejects changing the cluster IP, invalid names and nodePorts on ClusterIP services', () => {
    const alloc = fakeAllocators();
    const t = type('services');
    const old = createService(service({ ports: [{ port: 80 }] }), { allocators: alloc });
    old.metadata!.resourceVersion = '1';
    const moved = structuredClone(old);
    moved['spec'].clusterIP = '10.96.0.50';
    moved['spec'].clusterIPs = ['10.96.0.50'];
    assert.deepEqual(t.validateUpdate!(moved, old).map((e) => e.message), [
      'spec.clusterIPs[0]: Invalid value: ["10.96.0.50"]: may not change once set',
    ]);
    const bad = service({ ports: [{ port: 80, nodePort: 30005 }] });
    bad.metadata!.name = '1web';
    t.defaults!(bad);
    assert.deepEqual(t.validateCreate!(bad).map((e) => e.message), [
      `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ]);
    const dup = service({ ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] });
    t.defaults!(dup);
    assert.deepEqual(t.validateCreate!(dup).map((e) => e.message), [
      'spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,"TargetPort":0,"NodePort":0}',
    ]);
  });
});

describe('Pod', () => {
  const pod = (spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec });

  it('gets SetDefaults_Pod and SetDefaults_PodSpec, and starts Pending with a QoS class', () => {
    const t = type('pods');
    const p = pod({
      containers: [
        {
          name: 'app',
          image: 'registry.local:5000/app:v1',
          ports: [{ containerPort: 8080 }],
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          resources: { limits: { memory: '64Mi' } },
          readinessProbe: { httpGet: { port: 8080 } },
        },
      ],
      volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }, { name: 'scratch' }],
    });
    t.defaults!(p);
    t.prepareForCreate!(p, {});
    const c = p['spec'].containers[0];
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP' }]);
    assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
    assert.deepEqual(c.resources, { limits: { memory: '64Mi' }, requests: { memory: '64Mi' } });
    assert.deepEqual(c.readinessProbe, { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual(p['spec'].volumes, [{ name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } }, { name: 'scratch', emptyDir: {} }]);
    assert.equal(p['spec'].enableServiceLinks, true);
    assert.deepEqual(p['status'], { phase: 'Pending', qosClass: 'Burstable' });
    assert.deepEqual(t.validateCreate!(p), []);
  });

  it('exposes upstream field selectors', () => {
    const p = pod({ nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', hostNetwork: true });
    p['status'] = { phase: 'Running', podIPs: [{ ip: '10.244.0.5' }] };
    assert.deepEqual(type('pods').selectableFields!(p), {
      'spec.nodeName': 'n1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': '',
      'spec.hostNetwork': 'true',
      'status.phase': 'Running',
      'status.podIP': '10.244.0.5',
      'status.nominatedNodeName': '',
    });
  });
});

describe('Namespace, ConfigMap, Secret, PVC, Node', () => {
  it('gives namespaces their label, finalizer and phase, and keeps spec.finalizers on update', () => {
    const t = type('namespaces');
    const ns: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } };
    t.defaults!(ns);
    t.prepareForCreate!(ns, {});
    assert.deepEqual(ns, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    const next: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', resourceVersion: '2' }, spec: {} };
    t.prepareForUpdate!(next, ns, {});
    assert.deepEqual(next['spec'], { finalizers: ['kubernetes'] });
    assert.deepEqual(t.selectableFields!(ns), { 'status.phase': 'Active', name: 'team-a' });
    assert.equal(t.validateCreate!({ metadata: { name: 'a.b' } })[0]!.message, 'metadata.name: Invalid value: "a.b": must not contain dots');
  });

  it('freezes immutable ConfigMaps and Secrets and the Secret type', () => {
    const cm = type('configmaps');
    const old: KObject = { metadata: { name: 'c', namespace: 'd', resourceVersion: '1' }, data: { a: '1' }, immutable: true };
    assert.deepEqual(cm.validateUpdate!({ ...old, data: { a: '2' } }, old).map((e) => e.message), ['data: Forbidden: field is immutable when `immutable` is set']);
    const sec = type('secrets');
    const s: KObject = { metadata: { name: 's', namespace: 'd' }, stringData: { password: 'hunter2' } };
    sec.defaults!(s);
    assert.deepEqual(structuredClone(s), { metadata: { name: 's', namespace: 'd' }, type: 'Opaque', data: { password: 'aHVudGVyMg==' } });
    s.metadata!.resourceVersion = '1';
    assert.deepEqual(sec.validateUpdate!({ ...s, type: 'kubernetes.io/tls' }, s).map((e) => e.message), [
      'type: Invalid value: "kubernetes.io/tls": field is immutable',
      'data[tls.crt]: Required value',
      'data[tls.key]: Required value',
    ]);
  });

  it('defaults and validates PersistentVolumeClaims', () => {
    const t = type('persistentvolumeclaims');
    const pvc: KObject = { metadata: { name: 'data', namespace: 'd' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    t.defaults!(pvc);
    t.prepareForCreate!(pvc, {});
    assert.equal(pvc['spec'].volumeMode, 'Filesystem');
    assert.deepEqual(pvc['status'], { phase: 'Pending' });
    assert.deepEqual(t.validateCreate!(pvc), []);
    assert.deepEqual(t.validateCreate!({ metadata: { name: 'x', namespace: 'd' }, spec: {} }).map((e) => e.message), [
      'spec.accessModes: Required value: at least 1 access mode is required',
      'spec.resources[storage]: Required value',
    ]);
    pvc.metadata!.resourceVersion = '1';
    const changed = structuredClone(pvc);
    changed['spec'].accessModes = ['ReadWriteMany'];
    assert.equal(t.validateUpdate!(changed, pvc)[0]!.message, 'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
  });

  it('stores nodes under minions and selects on spec.unschedulable', () => {
    const t = type('nodes');
    assert.equal(t.storageResource, 'minions');
    assert.deepEqual(t.selectableFields!({ spec: { unschedulable: true } }), { 'spec.unschedulable': 'true' });
    const node: KObject = { metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24' }, status: { capacity: { cpu: '2' } } };
    t.defaults!(node);
    assert.deepEqual(node['spec'], { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] });
    assert.deepEqual(node['status'].allocatable, { cpu: '2' });
    node.metadata!.resourceVersion = '1';
    const moved = structuredClone(node);
    moved['spec'].podCIDRs = ['10.244.2.0/24'];
    assert.deepEqual(t.validateUpdate!(moved, node).map((e) => e.message), ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid']);
  });

  it('validates core Events against their involved object', () => {
    const t = type('events');
    const ev: KObject = { metadata: { name: 'p.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' }, reason: 'Started' };
    assert.deepEqual(t.validateCreate!(ev).map((e) => e.message), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
    assert.equal(t.selectableFields!(ev)['involvedObject.name'], 'p');
  });
});
