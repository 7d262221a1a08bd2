// The Services proxy against real iptables (nf_tables) or nftables and real packets, one suite per backend, each in
// network namespaces of its own (PROXY_E2E_MODES=nftables runs only one):
//
//   client ns (192.168.77.2) ──veth── node ns (192.168.77.1; br0 10.244.0.1/24) ──bridge── pod1 (10.244.0.11), pod2 (.12)
//
// The Proxier runs against the real API server (Services and EndpointSlices created directly) and writes its rules in
// the node namespace. Every pod runs a tiny server answering "<pod> <peer address it sees>" over TCP and UDP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { silentLogger } from '../../src/log.ts';
import { cleanupNftablesRules, cleanupProxyRules, ExecIptables, ExecNftables, Proxier, type ProxyMode } from '../../src/proxy/index.ts';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { eventually } from '../support/server.ts';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const MODES = (process.env['PROXY_E2E_MODES'] ?? 'iptables,nftables').split(',').map((m) => m.trim()) as ProxyMode[];
type PodName = 'pod1' | 'pod2';
const NODE_IP = '192.168.77.1';
const CLIENT_IP = '192.168.77.2';
const BRIDGE_IP = '10.244.0.1';

const SERVER = `
const net = require('net'), dgram = require('dgram'); const name = process.argv[1];
net.createServer((s) => s.end(name + ' ' + s.remoteAddress + '\\n')).listen(8080, '0.0.0.0');
const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(name + ' ' + r.address, r.port, r.address)); u.bind(8053);
`;

// Makes `count` requests one after another; prints a JSON array of answers ("pod1 10.244.0.1") or "ERR <code>".
const CLIENT_SCRIPT = `
const net = require('net'), dgram = require('dgram');
const [proto, host, port, count, srcPort] = process.argv.slice(1);
const tcp = () => new Promise((resolve) => {
  const s = net.connect({ host, port: Number(port) }); let data = '';
  s.setTimeout(2000, () => { s.destroy(); resolve('ERR TIMEOUT'); });
  s.on('data', (d) => (data += d)); s.on('end', () => resolve(data.trim())); s.on('error', (e) => resolve('ERR ' + e.code));
});
const udp = () => new Promise((resolve) => {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const done = (v) => { clearTimeout(t); s.close(); resolve(v); };
  const t = setTimeout(() => done('ERR TIMEOUT'), 1000);
  s.on('message', (m) => done(m.toString())); s.on('error', (e) => done('ERR ' + e.code));
  s.bind(Number(srcPort || 0), () => s.send('x', Number(port), host));
});
(async () => { const out = []; for (let i = 0; i < Number(count); i++) out.push(await (proto === 'udp' ? udp() : tcp())); console.log(JSON.stringify(out)); })();
`;

async function sh(...cmds: string[][]): Promise<void> {
  for (const cmd of cmds) await run(cmd[0]!, cmd.slice(1));
}

async function inNs(ns: string, ...cmds: string[][]): Promise<void> {
  for (const cmd of cmds) await run('ip', ['netns', 'exec', ns, ...cmd]);
}

/** `count` requests from namespace `from`; each answer is [pod, address the pod saw] or ['ERR', code]. */
async function request(from: string, proto: 'tcp' | 'udp', host: string, port: number, count = 1, srcPort?: number): Promise<Array<[string, string]>> {
  const args = ['netns', 'exec', from, process.execPath, '-e', CLIENT_SCRIPT, proto, host, String(port), String(count), ...(srcPort ? [String(srcPort)] : [])];
  const { stdout } = await run('ip', args, { timeout: 30_000 });
  return (JSON.parse(stdout) as string[]).map((line) => line.split(' ') as [string, string]);
}

function skipReason(mode: ProxyMode): string | false {
  if (!isRoot) return 'needs root (network namespaces and iptables)';
  if (mode === 'nftables' && spawnSync('nft', ['--version']).status !== 0) return 'nft is not installed (apt-get install nftables)';
  return false;
}

for (const mode of MODES) {
describe(`proxy on real ${mode} in network namespaces`, { skip: skipReason(mode), timeout: 180_000 }, () => {
  const id = randomBytes(3).toString('hex');
  const NODE = `skt-node-${id}`;
  const CLIENT = `skt-cli-${id}`;
  const PODS: Record<PodName, { ns: string; ip: string }> = { pod1: { ns: `skt-p1-${id}`, ip: '10.244.0.11' }, pod2: { ns: `skt-p2-${id}`, ip: '10.244.0.12' } };
  let cluster: TestCluster;
  let servers: ChildProcess[] = [];
  const stop = new AbortController();
  let proxier: Proxier;
  let proxying: Promise<void>;
  const iptables = new ExecIptables({ netns: NODE });
  const nftables = new ExecNftables({ netns: NODE });
  let haveConntrack = true;

  const svc = (name: string, spec: NonNullable<Service['spec']>): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec });
  const endpoints = (service: string, pods: ReadonlyArray<[PodName, string]>, ports: NonNullable<EndpointSlice['ports']>): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports,
    endpoints: pods.map(([pod, node]) => ({ addresses: [PODS[pod].ip], nodeName: node, conditions: { ready: true, serving: true, terminating: false } })),
  });
  const create = async <T extends Service | EndpointSlice>(obj: T): Promise<T> =>
    (await cluster.client.create(obj.kind === 'Service' ? gvr.services : gvr.endpointslices, 'default', obj as never)) as unknown as T;
  const setEndpoints = async (slice: EndpointSlice) => {
    const current = (await cluster.client.get(gvr.endpointslices, 'default', slice.metadata!.name!)) as unknown as EndpointSlice;
    await cluster.client.update(gvr.endpointslices, 'default', { ...slice, metadata: { ...slice.metadata, resourceVersion: current.metadata!.resourceVersion } } as never);
  };
  const tcpPorts = [{ name: 'http', port: 8080, protocol: 'TCP' }];

  before(async () => {
    await run('conntrack', ['--version']).catch(() => (haveConntrack = false));
    await sh(['ip', 'netns', 'add', NODE], ['ip', 'netns', 'add', CLIENT]);
    await inNs(
      NODE,
      ['ip', 'link', 'set', 'lo', 'up'],
      ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
      ['ip', 'link', 'add', 'br0', 'type', 'bridge'],
      ['ip', 'addr', 'add', `${BRIDGE_IP}/24`, 'dev', 'br0'],
      ['ip', 'link', 'set', 'br0', 'up'],
      ['ip', 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', CLIENT],
      ['ip', 'addr', 'add', `${NODE_IP}/24`, 'dev', 'ext0'],
      ['ip', 'link', 'set', 'ext0', 'up'],
      // Service IPs without endpoints must reach FORWARD (and its REJECT) rather than fail routing first.
      ['ip', 'route', 'add', 'default', 'via', CLIENT_IP],
    );
    await inNs(CLIENT, ['ip', 'link', 'set', 'lo', 'up'], ['ip', 'addr', 'add', `${CLIENT_IP}/24`, 'dev', 'eth0'], ['ip', 'link', 'set', 'eth0', 'up'], ['ip', 'route', 'add', 'default', 'via', NODE_IP]);
    for (const [name, pod] of Object.entries(PODS)) {
      await sh(['ip', 'netns', 'add', pod.ns]);
      await inNs(NODE, ['ip', 'link', 'add', `v${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.ns], ['ip', 'link', 'set', `v${name}`, 'master', 'br0'], ['ip', 'link', 'set', `v${name}`, 'up']);
      // As Skiff's CNI configuration does (hairpinMode): a pod reaching itself through a Service is sent back its own port.
      await inNs(NODE, ['ip', 'link', 'set', `v${name}`, 'type', 'bridge_slave', 'hairpin', 'on']);
      await inNs(pod.ns, ['ip', 'link', 'set', 'lo', 'up'], ['ip', 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0'], ['ip', 'link', 'set', 'eth0', 'up'], ['ip', 'route', 'add', 'default', 'via', BRIDGE_IP]);
      servers.push(spawn('ip', ['netns', 'exec', pod.ns, process.execPath, '-e', SERVER, name], { stdio: 'ignore' }));
    }
    for (const pod of Object.keys(PODS) as PodName[]) {
      await eventually(`${pod} serving`, async () => ((await request(NODE, 'tcp', PODS[pod].ip, 8080))[0]![0] === pod ? true : undefined));
    }

    cluster = await startTestCluster();
    const seam = mode === 'nftables' ? { mode, nftables, serviceCIDRs: ['10.96.0.0/12'] } : { mode, iptables };
    proxier = new Proxier({ client: cluster.client, nodeName: 'node-a', nodeIPs: [NODE_IP], clusterCIDR: '10.244.0.0/16', logger: silentLogger(), ...seam });
    proxying = proxier.start(stop.signal);
    await proxier.waitForFirstSync(stop.signal);
  });

  after(async () => {
    stop.abort();
    await proxying?.catch(() => undefined);
    for (const s of servers) s.kill();
    servers = [];
    await cluster?.stop();
    for (const ns of [NODE, CLIENT, PODS.pod1.ns, PODS.pod2.ns]) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  });

  it('spreads ClusterIP connections over the endpoints; off-cluster clients are masqueraded, pods are not', async () => {
    const web = await create(svc('web', { ports: [{ name: 'http', port: 80, targetPort: 8080 as never, protocol: 'TCP' }] }));
    await create(endpoints('web', [['pod1', 'node-a'], ['pod2', 'node-a']], tcpPorts));
    const ip = web.spec!.clusterIP!;
    const answers = await eventually('both pods answer the ClusterIP', async () => {
      const got = await request(CLIENT, 'tcp', ip, 80, 30);
      return new Set(got.map(([pod]) => pod)).size === 2 ? got : undefined;
    });
    assert.ok(answers.every(([, peer]) => peer === BRIDGE_IP), `an off-cluster client is masqueraded: ${JSON.stringify(answers)}`);
    const fromPod = await request(PODS.pod1.ns, 'tcp', ip, 80, 16);
    assert.ok(fromPod.every(([, peer]) => peer === PODS.pod1.ip || peer === BRIDGE_IP), JSON.stringify(fromPod));
    assert.ok(fromPod.some(([pod, peer]) => pod === 'pod2' && peer === PODS.pod1.ip), `pod-to-pod keeps the source: ${JSON.stringify(fromPod)}`);
    assert.ok(fromPod.filter(([pod]) => pod === 'pod1').every(([, peer]) => peer === BRIDGE_IP), 'hairpin traffic is masqueraded');
  });

  it('answers on the NodePort, on the node address and on 127.0.0.1, keeping the client address only for externalTrafficPolicy Local', async () => {
    const cluster_ = await create(svc('np-cluster', { type: 'NodePort', externalTrafficPolicy: 'Cluster', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
    const local = await create(svc('np-local', { type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
    await create(endpoints('np-cluster', [['pod1', 'node-a']], tcpPorts));
    // pod2 counts as another node's pod: Local policy must not send external traffic there.
    await create(endpoints('np-local', [['pod1', 'node-a'], ['pod2', 'node-b']], tcpPorts));
    const clusterPort = cluster_.spec!.ports![0]!.nodePort!;
    const localPort = local.spec!.ports![0]!.nodePort!;
    const viaCluster = await eventually('the Cluster NodePort answers', async () => ((await request(CLIENT, 'tcp', NODE_IP, clusterPort))[0]![0] === 'pod1' ? await request(CLIENT, 'tcp', NODE_IP, clusterPort, 3) : undefined));
    assert.deepEqual(viaCluster, [['pod1', BRIDGE_IP], ['pod1', BRIDGE_IP], ['pod1', BRIDGE_IP]], 'Cluster policy masquerades');
    const viaLocal = await eventually('the Local NodePort answers', async () => ((await request(CLIENT, 'tcp', NODE_IP, localPort))[0]![0] === 'pod1' ? await request(CLIENT, 'tcp', NODE_IP, localPort, 10) : undefined));
    assert.deepEqual(new Set(viaLocal.map((a) => a.join(' '))), new Set([`pod1 ${CLIENT_IP}`]), 'Local policy keeps the client address and this node only');
    const loopback = await request(NODE, 'tcp', '127.0.0.1', clusterPort);
    assert.equal(loopback[0]![0], 'pod1', `NodePort on 127.0.0.1: ${JSON.stringify(loopback)}`);
  });

  // nftables mode keeps external IPs in its shared endpoint maps (nft-rules.ts, pick layout): check them with packets.
  it('answers on an external IP, masquerading the client (externalTrafficPolicy Cluster)', { skip: mode !== 'nftables' && 'covered by the rules tests in iptables mode' }, async () => {
    const EXTERNAL_IP = '192.168.78.10';
    await create(svc('ext', { externalIPs: [EXTERNAL_IP], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
    await create(endpoints('ext', [['pod2', 'node-a']], tcpPorts));
    await inNs(CLIENT, ['ip', 'route', 'add', `${EXTERNAL_IP}/32`, 'via', NODE_IP]);
    const answers = await eventually('the external IP answers', async () => {
      const got = await request(CLIENT, 'tcp', EXTERNAL_IP, 80, 3);
      return got.every(([pod]) => pod === 'pod2') ? got : undefined;
    });
    assert.deepEqual(answers, [['pod2', BRIDGE_IP], ['pod2', BRIDGE_IP], ['pod2', BRIDGE_IP]]);
  });

  it('pins a client to one endpoint with sessionAffinity ClientIP', async () => {
    const sticky = await create(
      svc('sticky', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
    );
    await create(endpoints('sticky', [['pod1', 'node-a'], ['pod2', 'node-a']], tcpPorts));
    const ip = sticky.spec!.clusterIP!;
    await eventually('the sticky Service answers', async () => ((await request(CLIENT, 'tcp', ip, 80))[0]![0].startsWith('pod') ? true : undefined));
    const fromClient = await request(CLIENT, 'tcp', ip, 80, 20);
    assert.equal(new Set(fromClient.map(([pod]) => pod)).size, 1, JSON.stringify(fromClient));
    const fromPod = await request(PODS.pod2.ns, 'tcp', ip, 80, 20);
    assert.equal(new Set(fromPod.map(([pod]) => pod)).size, 1, JSON.stringify(fromPod));
  });

  it('refuses connections to a Service without endpoints, and follows endpoint removal', async () => {
    const empty = await create(svc('empty', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
    await eventually('connection refused', async () => ((await request(CLIENT, 'tcp', empty.spec!.clusterIP!, 80))[0]!.join(' ') === 'ERR ECONNREFUSED' ? true : undefined));

    const moving = await create(svc('moving', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
    const slice = await create(endpoints('moving', [['pod1', 'node-a'], ['pod2', 'node-a']], tcpPorts));
    const ip = moving.spec!.clusterIP!;
    await eventually('both pods answer', async () => (new Set((await request(CLIENT, 'tcp', ip, 80, 20)).map(([p]) => p)).size === 2 ? true : undefined));
    await setEndpoints(endpoints('moving', [['pod2', 'node-a']], tcpPorts));
    await eventually('only pod2 answers', async () => ((await request(CLIENT, 'tcp', ip, 80, 10)).every(([p]) => p === 'pod2') ? true : undefined));
    await cluster.client.delete(gvr.endpointslices, 'default', slice.metadata!.name!);
    await eventually('refused once the last endpoint goes', async () => ((await request(CLIENT, 'tcp', ip, 80))[0]!.join(' ') === 'ERR ECONNREFUSED' ? true : undefined));
  });

  it('moves an established UDP flow to the new endpoint when its endpoint goes (stale conntrack entries cleared)', async (t) => {
    if (!haveConntrack) return t.skip('the conntrack tool is not installed (apt-get install conntrack)');
    const dns = await create(svc('udp', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }));
    const udpPorts = [{ name: 'dns', port: 8053, protocol: 'UDP' }];
    await create(endpoints('udp', [['pod1', 'node-a']], udpPorts));
    const ip = dns.spec!.clusterIP!;
    // The same source port every time: one conntrack flow, which would keep going to pod1 for 120 s if left alone.
    await eventually('pod1 answers over UDP', async () => ((await request(CLIENT, 'udp', ip, 53, 1, 40053))[0]![0] === 'pod1' ? true : undefined));
    await setEndpoints(endpoints('udp', [['pod2', 'node-a']], udpPorts));
    await eventually('the flow moves to pod2', async () => ((await request(CLIENT, 'udp', ip, 53, 1, 40053))[0]![0] === 'pod2' ? true : undefined), { timeoutMs: 10_000 });
  });

  it(`leaves nothing of the proxy's behind after ${mode === 'nftables' ? 'cleanupNftablesRules' : 'cleanupProxyRules'}`, async () => {
    stop.abort();
    await proxying;
    if (mode === 'nftables') {
      assert.equal(await cleanupNftablesRules(nftables), true);
      assert.deepEqual(await nftables.listChains(), []);
      const { stdout } = await run('ip', ['netns', 'exec', NODE, 'nft', 'list', 'ruleset']);
      assert.ok(!stdout.includes('kube-proxy'), stdout);
      return;
    }
    const deleted = await cleanupProxyRules(iptables);
    assert.ok(deleted > 10, String(deleted));
    for (const table of ['nat', 'filter', 'mangle'] as const) {
      const dump = await iptables.save(table);
      assert.ok(!dump.includes('KUBE-'), `${table}:\n${dump}`);
    }
  });
});
}
