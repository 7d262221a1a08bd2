// The tutorial's ending on `skiff up`, for real: nginx behind a NodePort Service answering on the node's address, cluster
// DNS from inside pods, session affinity, externalTrafficPolicy Local and LoadBalancer — what issue 6 asks to be shown.
// The cluster gets its own pod range and bridge so it cannot collide with another test's; it is the only test that runs
// the Services proxy on this machine's netfilter tables (the others start with --disable-kube-proxy), once with each proxy
// mode (SERVICES_E2E_PROXY_MODES=nftables runs one).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import { CriClient } from '../../src/kubelet/cri/client.ts';
import { httpGet } from '../support/http.ts';
import { kubectl, kubectlOk } from '../support/kubectl.ts';
import { eventually, freePort, repoRoot, startSkiffServer, type SkiffServer } from '../support/server.ts';

const run = promisify(execFile);
const timeout = 240_000;
const isRoot = process.getuid?.() === 0;
const CLUSTER_CIDR = '10.248.0.0/16';
const BRIDGE = 'skiff-svc0';
/** A client outside the cluster: a network namespace of this test's own, behind a veth pair. */
const CLIENT_NS = `skt-svc-${process.pid}`;
const CLIENT_VETH = `sktv${process.pid % 100000}`;
const CLIENT_HOST_IP = '10.249.7.1';
const CLIENT_IP = '10.249.7.2';
/** Both proxy modes by default, one after the other (they share the machine's netfilter tables and this bridge). */
const PROXY_MODES = (process.env['SERVICES_E2E_PROXY_MODES'] ?? 'iptables,nftables').split(',').map((m) => m.trim());

/** The same GET, retried a few times: a connection to a pod that is just going away may be refused, as upstream. */
async function getWithRetry(host: string, port: number, path: string): Promise<string> {
  let last: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const res = await httpGet(host, port, path);
      if (res.status === 200) return res.body;
      last = new Error(`status ${res.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`GET http://${host}:${port}${path} kept failing: ${String(last)}`);
}

for (const PROXY_MODE of PROXY_MODES) {
  void describe(`Services and DNS on skiff up (the tutorial, for real; ${PROXY_MODE} proxy)`, { skip: !isRoot && 'needs root for containerd and iptables', timeout: 20 * 60_000 }, () => {
    const abort = new AbortController();
    let server: SkiffServer;
    let cri: CriClient;
    let nodeIP: string;

    const kc = (args: string[], input?: string, timeoutMs = 90_000) => kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs, ...(input === undefined ? {} : { input }) });
    const ok = (args: string[], input?: string): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 90_000, input });
    /** `skiff kubectl …` as the README has it: the same program the user types, with the cluster's kubeconfig. */
    const skiffKubectl = async (args: string[]): Promise<string> => {
      const { stdout } = await run(join(repoRoot, 'bin', 'skiff'), ['kubectl', ...args], { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 90_000 });
      return stdout;
    };
    const service = async (name: string): Promise<Service> => JSON.parse(await ok(['get', 'service', name, '-o', 'json'])) as Service;
    const podsOf = async (selector: string): Promise<Pod[]> => (JSON.parse(await ok(['get', 'pods', '-l', selector, '-o', 'json'])) as { items: Pod[] }).items;
    const inPod = (pod: string, command: string[]) => ok(['exec', pod, '--', ...command]);
    /** Which pods logged a request for `path` (nginx writes its access log to stdout). */
    const podsThatServed = async (selector: string, marker: string): Promise<Set<string>> => {
      const served = new Set<string>();
      for (const pod of await podsOf(selector)) {
        const logs = await ok(['logs', pod.metadata!.name!]);
        if (logs.includes(marker)) served.add(pod.metadata!.name!);
      }
      return served;
    };
    /** The client addresses nginx logged for requests carrying `marker`. */
    const clientsThatAsked = async (selector: string, marker: string): Promise<Set<string>> => {
      const clients = new Set<string>();
      for (const pod of await podsOf(selector)) {
        for (const line of (await ok(['logs', pod.metadata!.name!])).split('\n')) if (line.includes(marker)) clients.add(line.split(' ')[0]!);
      }
      return clients;
    };

    before(async () => {
      const kubeletPort = await freePort();
      server = await startSkiffServer({
        datastore: 'sqlite',
        command: 'up',
        launcher: 'bin',
        extraArgs: ['--runtime', 'cri', '--kubelet-port', String(kubeletPort), '--cluster-cidr', CLUSTER_CIDR, '--cni-bridge', BRIDGE, '--proxy-mode', PROXY_MODE],
        signal: abort.signal,
        readyTimeoutMs: 180_000,
      });
      cri = new CriClient({ endpoint: join(server.dataDir, 'containerd', 'containerd.sock'), timeoutMs: 10_000 });
      await eventually('the banner', () => (server.output().includes('Skiff is up') ? true : undefined), { timeoutMs: 240_000, intervalMs: 200, attempts: 2000 });
      await ok(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=120s']);
      nodeIP = (await ok(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).trim();
      assert.match(nodeIP, /^\d+\.\d+\.\d+\.\d+$/);
      assert.ok(!nodeIP.startsWith('127.'), `the node advertises a loopback address (${nodeIP}); NodePorts must answer on a real one`);
    });

    after(async () => {
      await run('ip', ['netns', 'delete', CLIENT_NS]).catch(() => undefined);
      if (server) {
        await kc(['delete', 'deployments,pods,services', '--all', '--grace-period=1', '--wait=false']).catch(() => undefined);
        await eventually('no sandboxes left', async () => ((await cri.listPodSandbox()).length === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 }).catch(() => undefined);
      }
      cri?.close();
      try {
        await server?.stop();
      } finally {
        abort.abort();
        // The Services rules stay after a node stops, as kube-proxy's do; `skiff killall` is what removes them.
        const { cleanupProxyRules, hostIptables } = await import('../../src/proxy/index.ts');
        await cleanupProxyRules(hostIptables()).catch(() => undefined);
        if (PROXY_MODE === 'nftables') await run('nft', ['delete', 'table', 'ip', 'kube-proxy']).catch(() => undefined);
        await run('ip', ['link', 'delete', BRIDGE]).catch(() => undefined);
      }
    });

    void it("follows the tutorial: nginx answers on the node's NodePort, from every replica, through a pod's deletion", { timeout }, async () => {
      await skiffKubectl(['create', 'deployment', 'nginx', '--image=nginx']);
      await skiffKubectl(['expose', 'deployment', 'nginx', '--port=80', '--type=NodePort']);
      await ok(['rollout', 'status', 'deployment/nginx', '--timeout=180s']);
      const table = await skiffKubectl(['get', 'pod,svc']);
      assert.match(table, /^pod\/nginx-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+/m, table);
      const svc = await service('nginx');
      const nodePort = svc.spec!.ports![0]!.nodePort!;
      assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
      assert.match(table, new RegExp(`^service/nginx\\s+NodePort\\s+${svc.spec!.clusterIP!.replace(/\./g, '\\.')}\\s+<none>\\s+80:${nodePort}/TCP\\s+`, 'm'), table);

      const page = await eventually('the welcome page on the NodePort', async () => {
        const res = await httpGet(nodeIP, nodePort);
        return res.status === 200 ? res.body : undefined;
      }, { timeoutMs: 30_000, intervalMs: 250 });
      assert.match(page, /<title>Welcome to nginx!<\/title>/);
      // The ClusterIP answers from the node too, and localhost NodePorts work as upstream's.
      assert.match(await getWithRetry(svc.spec!.clusterIP!, 80, '/'), /Welcome to nginx!/);
      assert.match(await getWithRetry('127.0.0.1', nodePort, '/'), /Welcome to nginx!/);

      await ok(['scale', 'deployment', 'nginx', '--replicas=3']);
      await ok(['rollout', 'status', 'deployment/nginx', '--timeout=180s']);
      await eventually('three endpoints', async () => {
        const slices = JSON.parse(await ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=nginx', '-o', 'json'])) as { items: Array<{ endpoints?: Array<{ conditions?: { ready?: boolean } }> }> };
        return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).length === 3 ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 250 });
      // Random spread over three: 60 requests miss a pod with probability 3·(2/3)^60 ≈ 10⁻¹⁰.
      for (let i = 0; i < 60; i++) await getWithRetry(nodeIP, nodePort, `/?spread=${i}`);
      const served = await podsThatServed('app=nginx', 'GET /?spread=');
      assert.equal(served.size, 3, `only ${[...served].join(', ')} served`);

      const [victim] = await podsOf('app=nginx');
      const deleting = ok(['delete', 'pod', victim!.metadata!.name!, '--wait=true']);
      for (let i = 0; i < 20; i++) assert.match(await getWithRetry(nodeIP, nodePort, `/?during-delete=${i}`), /Welcome to nginx!/);
      await deleting;
      for (let i = 0; i < 10; i++) assert.match(await getWithRetry(nodeIP, nodePort, `/?after-delete=${i}`), /Welcome to nginx!/);
    });

    void it('answers cluster DNS from inside a pod: the Service by name, over HTTP, SRV and headless records', { timeout }, async () => {
      await ok(['run', 'client', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
      await ok(['wait', '--for=condition=Ready', 'pod/client', '--timeout=120s']);
      const resolv = await inPod('client', ['cat', '/etc/resolv.conf']);
      assert.match(resolv, /^nameserver 10\.96\.0\.10$/m);
      assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m);

      const clusterIP = (await service('nginx')).spec!.clusterIP!;
      const lookup = await inPod('client', ['nslookup', 'nginx.default.svc.cluster.local']);
      assert.match(lookup, new RegExp(`Name:\\s+nginx\\.default\\.svc\\.cluster\\.local\\s+Address:\\s+${clusterIP.replace(/\./g, '\\.')}`), lookup);
      assert.match(await inPod('client', ['wget', '-qO-', 'http://nginx/']), /Welcome to nginx!/);
      assert.match(await inPod('client', ['wget', '-qO-', 'http://nginx.default.svc.cluster.local/']), /Welcome to nginx!/);

      await ok(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'nginx-headless' },
        spec: { clusterIP: 'None', selector: { app: 'nginx' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
      }));
      const podIPs = (await podsOf('app=nginx')).filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.status!.podIP!).sort();
      assert.equal(podIPs.length, 3);
      const headless = await eventually('the headless Service resolves to its pods', async () => {
        const out = await inPod('client', ['nslookup', 'nginx-headless.default.svc.cluster.local']);
        const ips = [...out.matchAll(/Address:\s+(\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]!).filter((ip) => ip !== '10.96.0.10').sort();
        return ips.join(',') === podIPs.join(',') ? out : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      assert.doesNotMatch(headless, /NXDOMAIN/);
      const srv = await inPod('client', ['nslookup', '-type=SRV', '_http._tcp.nginx-headless.default.svc.cluster.local']);
      for (const ip of podIPs) assert.match(srv, new RegExp(`\\b80 ${ip.replace(/\./g, '-')}\\.nginx-headless\\.default\\.svc\\.cluster\\.local`), srv);
      const missing = await kc(['exec', 'client', '--', 'nslookup', 'missing.default.svc.cluster.local']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stdout + missing.stderr, /NXDOMAIN/);
    });

    void it('sessionAffinity ClientIP pins a client to one pod, on the ClusterIP and the NodePort', { timeout }, async () => {
      await ok(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'sticky' },
        spec: { type: 'NodePort', sessionAffinity: 'ClientIP', selector: { app: 'nginx' }, ports: [{ port: 80, protocol: 'TCP' }] },
      }));
      const svc = await service('sticky');
      await eventually('sticky answers', async () => ((await httpGet(svc.spec!.clusterIP!, 80)).status === 200 ? true : undefined), { timeoutMs: 30_000, intervalMs: 250 });
      for (let i = 0; i < 20; i++) await getWithRetry(svc.spec!.clusterIP!, 80, `/?sticky-cluster=${i}`);
      assert.equal((await podsThatServed('app=nginx', 'GET /?sticky-cluster=')).size, 1);
      for (let i = 0; i < 20; i++) await getWithRetry(nodeIP, svc.spec!.ports![0]!.nodePort!, `/?sticky-node=${i}`);
      assert.equal((await podsThatServed('app=nginx', 'GET /?sticky-node=')).size, 1);
    });

    void it("externalTrafficPolicy Local keeps the client's address; Cluster masquerades it", { timeout }, async () => {
      // A client outside the cluster: its own network namespace, reaching the node over a veth pair.
      await run('ip', ['netns', 'add', CLIENT_NS]);
      await run('ip', ['link', 'add', CLIENT_VETH, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', CLIENT_NS]);
      await run('ip', ['addr', 'add', `${CLIENT_HOST_IP}/30`, 'dev', CLIENT_VETH]);
      await run('ip', ['link', 'set', CLIENT_VETH, 'up']);
      const inClient = (...args: string[]) => run('ip', ['netns', 'exec', CLIENT_NS, ...args], { timeout: 20_000 });
      await inClient('ip', 'addr', 'add', `${CLIENT_IP}/30`, 'dev', 'eth0');
      await inClient('ip', 'link', 'set', 'eth0', 'up');
      await inClient('ip', 'link', 'set', 'lo', 'up');
      await inClient('ip', 'route', 'add', 'default', 'via', CLIENT_HOST_IP);

      await ok(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'local' },
        spec: { type: 'NodePort', externalTrafficPolicy: 'Local', selector: { app: 'nginx' }, ports: [{ port: 80, protocol: 'TCP' }] },
      }));
      const local = (await service('local')).spec!.ports![0]!.nodePort!;
      const cluster = (await service('nginx')).spec!.ports![0]!.nodePort!;
      // Node itself is the client inside the namespace (Debian's static busybox wget crashes outside a container).
      const fetchScript = "http.get(process.argv[1], { timeout: 5000 }, (r) => r.pipe(process.stdout)).on('error', (e) => { console.error(e.message); process.exit(1); })";
      const fetch = async (port: number, marker: string) => {
        const { stdout } = await inClient(process.execPath, '-e', fetchScript, `http://${nodeIP}:${port}/?${marker}`);
        assert.match(stdout, /Welcome to nginx!/);
      };
      await eventually('the Local NodePort answers the outside client', async () => {
        await fetch(local, 'probe');
        return true;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      for (let i = 0; i < 3; i++) await fetch(local, `etp-local=${i}`);
      for (let i = 0; i < 3; i++) await fetch(cluster, `etp-cluster=${i}`);
      assert.deepEqual([...(await clientsThatAsked('app=nginx', 'GET /?etp-local='))], [CLIENT_IP]);
      const masqueraded = await clientsThatAsked('app=nginx', 'GET /?etp-cluster=');
      assert.ok(masqueraded.size > 0 && !masqueraded.has(CLIENT_IP), `Cluster policy kept the client address: ${[...masqueraded].join(', ')}`);
    });

    void it('a LoadBalancer Service gets the node address and answers on it', { timeout }, async () => {
      await ok(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'lb' },
        spec: { type: 'LoadBalancer', selector: { app: 'nginx' }, ports: [{ port: 8089, targetPort: 80, protocol: 'TCP' }] },
      }));
      const ingress = await eventually('an external address', async () => (await service('lb')).status?.loadBalancer?.ingress?.[0]?.ip, { timeoutMs: 30_000, intervalMs: 250 });
      assert.equal(ingress, nodeIP);
      const table = await ok(['get', 'service', 'lb']);
      assert.match(table, new RegExp(`^lb\\s+LoadBalancer\\s+\\S+\\s+${nodeIP.replace(/\./g, '\\.')}\\s+8089:\\d+/TCP`, 'm'), table);
      await eventually('the page on the load balancer address', async () => ((await httpGet(nodeIP, 8089)).status === 200 ? true : undefined), { timeoutMs: 30_000, intervalMs: 250 });
    });

    void it('a LoadBalancer Service with externalTrafficPolicy Local answers its health check with the ready pods on this node', { timeout }, async () => {
      await ok(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'lb-local' },
        spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'nginx' }, ports: [{ port: 8090, targetPort: 80, protocol: 'TCP' }] },
      }));
      const port = (await service('lb-local')).spec!.healthCheckNodePort!;
      assert.ok(port > 0, 'the API server allocated a health check node port');
      const ready = (await podsOf('app=nginx')).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      assert.ok(ready > 0);
      const answer = await eventually(`the health check on ${nodeIP}:${port} counts ${ready} ready pods`, async () => {
        const res = await httpGet(nodeIP, port, '/').catch(() => undefined);
        return res?.status === 200 && JSON.parse(res.body).localEndpoints === ready ? res : undefined;
      }, { timeoutMs: 30_000, intervalMs: 250 });
      assert.deepEqual(JSON.parse(answer.body), { service: { namespace: 'default', name: 'lb-local' }, localEndpoints: ready, serviceProxyHealthy: true });
      assert.equal(answer.headers['content-type'], 'application/json');
    });

    void it('a Service without endpoints refuses connections at once', { timeout }, async () => {
      await ok(['create', 'service', 'clusterip', 'nobody', '--tcp=80:80']);
      const ip = (await service('nobody')).spec!.clusterIP!;
      await eventually('connection refused', async () => {
        try {
          await httpGet(ip, 80, '/', 2000);
          return undefined;
        } catch (err) {
          return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? true : undefined;
        }
      }, { timeoutMs: 30_000, intervalMs: 500 });
    });
  });
}
