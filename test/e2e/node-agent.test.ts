// `skiff up --runtime cri` with the real kubectl 1.35: this machine is a node whose pods are real containers under
// Skiff's own containerd, with images built offline. What issue 5 asks to be shown, one `it` each.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { CriClient } from '../../src/kubelet/cri/client.ts';
import { httpGet } from '../support/http.ts';
import { kubectl, kubectlOk, kubectlPath, kubectlStream } from '../support/kubectl.ts';
import { eventually, freePort, startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 180_000;
const isRoot = process.getuid?.() === 0;

void describe('skiff up --runtime cri (real containers under containerd)', { skip: !isRoot && 'needs root for containerd', timeout: 20 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;
  let cri: CriClient;
  let kubeletPort: number;

  const run = (args: string[], input?: string, timeoutMs = 90_000) => kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs, ...(input === undefined ? {} : { input }) });
  const ok = (args: string[], input?: string): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 90_000, input });
  const getPod = async (name: string): Promise<Pod> => JSON.parse(await ok(['get', 'pod', name, '-o', 'json'])) as Pod;
  const waitReady = (what: string, seconds = 120) => ok(['wait', '--for=condition=Ready', what, `--timeout=${seconds}s`]);

  before(async () => {
    kubeletPort = await freePort();
    server = await startSkiffServer({ datastore: 'sqlite', command: 'up', extraArgs: ['--runtime', 'cri', '--kubelet-port', String(kubeletPort), '--disable-kube-proxy', '--container-log-max-size', '16Ki', '--container-log-max-files', '3'], signal: abort.signal, readyTimeoutMs: 120_000 });
    cri = new CriClient({ endpoint: join(server.dataDir, 'containerd', 'containerd.sock'), timeoutMs: 10_000 });
    // The first start builds the quick start's images before the node registers.
    await eventually('the banner', () => (server.output().includes('Skiff is up') ? true : undefined), { timeoutMs: 180_000, intervalMs: 200, attempts: 1000 });
    await ok(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=120s']);
  });
  after(async () => {
    // Containers outlive the node agent (as under kubelet): remove the workloads, and wait for the agent to remove
    // their sandboxes, before Skiff stops and its data dir goes.
    if (server) {
      await run(['delete', 'deployments,daemonsets,pods', '--all', '-A', '--grace-period=1', '--wait=false']).catch(() => undefined);
      await eventually('no sandboxes left', async () => ((await cri.listPodSandbox()).length === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 }).catch(() => undefined);
    }
    cri?.close();
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('registers this machine as a Ready node running containerd, with its podCIDR and images', { timeout }, async () => {
    const nodes = JSON.parse(await ok(['get', 'nodes', '-o', 'json'])) as { items: Array<Record<string, any>> };
    assert.equal(nodes.items.length, 1);
    const node = nodes.items[0]!;
    assert.match(node['status'].nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\.\d+/);
    assert.match(node['spec'].podCIDR, /^10\.244\.\d+\.0\/24$/);
    const ready = node['status'].conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.equal(ready.status, 'True');
    assert.equal(ready.message, 'kubelet is posting ready status');
    const names = (node['status'].images as Array<{ names: string[] }>).flatMap((i) => i.names);
    assert.ok(names.includes('registry.k8s.io/pause:3.10.1'), names.join(' '));
    assert.ok(names.includes('docker.io/library/nginx:latest'), names.join(' '));
  });

  void it('runs an nginx pod built offline that serves its welcome page at its pod IP; logs -f streams its access log', { timeout }, async () => {
    await ok(['run', 'web', '--image=nginx', '--port=80']);
    await waitReady('pod/web');
    const pod = await getPod('web');
    const ip = pod.status!.podIP!;
    assert.match(ip, /^10\.244\./);
    const status = pod.status!.containerStatuses![0]!;
    assert.equal(status.ready, true);
    assert.equal(status.started, true);
    // containerd 1.6 names the image by its first tag: the built-in nginx carries :latest and its version tag.
    assert.match(status.image, /^docker\.io\/library\/nginx:(latest|\d+\.\d+\.\d+)$/);
    assert.match(status.imageID, /^sha256:[0-9a-f]{64}$|^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.match(status.containerID!, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.ok(status.state?.running?.startedAt);
    assert.equal(pod.status!.qosClass, 'BestEffort');
    const page = await httpGet(ip, 80);
    assert.equal(page.status, 200);
    assert.match(page.body, /Welcome to nginx!/);

    const follow = kubectlStream(['logs', '-f', 'web'], { kubeconfig: server.kubeconfig, signal: abort.signal });
    try {
      await httpGet(ip, 80, '/from-the-test');
      // nginx also logs the miss on stderr; the access log line is the one with the status.
      const line = await follow.waitForLine((l) => /"GET \/from-the-test HTTP\/1\.1" \d{3}/.test(l), 30_000);
      assert.match(line, /"GET \/from-the-test HTTP\/1\.1" 404/);
    } finally {
      await follow.stop();
    }
  });

  void it('exec: exit codes come back, stdin reaches the process, -it gives a terminal', { timeout }, async () => {
    const three = await run(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(three.code, 3, three.stderr);
    assert.equal(three.stdout, 'out\n');
    assert.match(three.stderr, /^err\n/);
    assert.match(three.stderr, /command terminated with exit code 3/);
    const cat = await run(['exec', '-i', 'web', '--', 'cat'], 'piped-stdin-data\n');
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'piped-stdin-data\n');
    // A real terminal for kubectl: python's pty module runs it as the child of a pseudo-terminal.
    const script = [
      'import os, pty, sys',
      'out = []',
      'def read(fd):',
      '    data = os.read(fd, 1024)',
      '    out.append(data)',
      '    return data',
      `pid, fd = pty.fork()`,
      `if pid == 0:`,
      `    os.execv(sys.argv[1], sys.argv[1:])`,
      'import time',
      'time.sleep(2)',
      "os.write(fd, b'echo $((6*7)); tty; exit\\r')",
      'try:',
      '    while True:',
      '        if not read(fd): break',
      'except OSError: pass',
      'sys.stdout.write(b"".join(out).decode(errors="replace"))',
    ].join('\n');
    const child = spawn('python3', ['-c', script, kubectlPath(), '--kubeconfig', server.kubeconfig, 'exec', '-it', 'web', '--', 'sh'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    assert.equal(code, 0);
    assert.match(out, /\b42\b/, out);
    assert.match(out, /\/dev\/pts\/\d+/, out);
  });

  void it('rotates a chatty container’s log past --container-log-max-size, keeping --container-log-max-files, and logs -f goes on across it', { timeout }, async () => {
    // ~40 KB/s: past 16Ki between two of the agent's 10-second checks.
    const script = 'i=0; while true; do for j in 0 1 2 3 4 5 6 7 8 9; do echo "line $i.$j ................................"; done; i=$((i+1)); sleep 0.01; done';
    await ok(['run', 'chatty', '--image=busybox', '--restart=Never', '--', 'sh', '-c', script]);
    await waitReady('pod/chatty');
    const follow = spawn(kubectlPath(), ['--kubeconfig', server.kubeconfig, 'logs', '-f', 'chatty', '--tail=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    follow.stdout.setEncoding('utf8').on('data', (d: string) => (followed += d.slice(-4096)));
    try {
      const uid = (await getPod('chatty')).metadata!.uid!;
      const dir = join(server.dataDir, 'kubelet', 'logs', `default_chatty_${uid}`, 'chatty');
      const files = await eventually('a rotated and a compressed log', async () => {
        const names = existsSync(dir) ? readdirSync(dir).sort() : [];
        return names.some((n) => /^0\.log\.\d{8}-\d{6}\.gz$/.test(n)) ? names : undefined;
      }, { timeoutMs: 90_000, intervalMs: 1000 });
      assert.ok(files.length <= 3 && files.includes('0.log'), `at most 3 files, the live one included: ${files.join(' ')}`);
      assert.ok(files.every((n) => /^0\.log(\.\d{8}-\d{6}(\.gz)?)?$/.test(n)), files.join(' '));
      // Both readers go on in the new file: the last line kubectl logs shows keeps moving after rotations.
      const lastLine = async () => Number(/line (\d+)\./.exec((await ok(['logs', 'chatty', '--tail=1'])).trim())?.[1]);
      const before = await lastLine();
      await eventually('logs moves on', async () => ((await lastLine()) > before ? true : undefined), { timeoutMs: 20_000, intervalMs: 500 });
      const seen = () => Number([...followed.matchAll(/line (\d+)\./g)].at(-1)?.[1] ?? -1);
      const followedBefore = seen();
      await eventually('logs -f follows into the rotated file’s successor', async () => (seen() > followedBefore + 300 ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    } finally {
      follow.kill();
      await run(['delete', 'pod', 'chatty', '--grace-period=1', '--wait=false']);
    }
  });

  void it('pods reach each other and the node', { timeout }, async () => {
    const web = await getPod('web');
    await ok(['run', 'client', '--image=busybox', '--', 'sleep', '600']);
    await waitReady('pod/client');
    const page = await ok(['exec', 'client', '--', 'wget', '-qO-', `http://${web.status!.podIP}/`]);
    assert.match(page, /Welcome to nginx!/);
    // The node answers on its bridge address: the node agent listens there on every address.
    const gateway = web.status!.podIP!.replace(/\.\d+$/, '.1');
    const probe = await run(['exec', 'client', '--', 'sh', '-c', `nc -w 3 ${gateway} ${kubeletPort} </dev/null && echo open`]);
    assert.equal(probe.stdout.trim(), 'open', probe.stderr);
  });

  void it('port-forward reaches the pod', { timeout }, async () => {
    const local = await freePort();
    const pf = kubectlStream(['port-forward', 'pod/web', `${local}:80`], { kubeconfig: server.kubeconfig, signal: abort.signal });
    try {
      await pf.waitForLine((l) => l.includes('Forwarding from 127.0.0.1'), 30_000);
      const page = await httpGet('127.0.0.1', local);
      assert.equal(page.status, 200);
      assert.match(page.body, /Welcome to nginx!/);
      const again = await httpGet('127.0.0.1', local, '/missing');
      assert.equal(again.status, 404);
    } finally {
      await pf.stop();
    }
  });

  void it('a failing liveness probe restarts the container and raises restartCount', { timeout }, async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'liveness' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'touch /tmp/healthy; sleep 3; rm /tmp/healthy; sleep 600'],
          livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
        }],
      },
    }));
    const pod = await eventually('a restart after the liveness probe fails', async () => {
      const p = await getPod('liveness');
      return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    const status = pod.status!.containerStatuses![0]!;
    assert.ok(status.lastState?.terminated, JSON.stringify(status));
    assert.equal(status.lastState.terminated.exitCode, 137);
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=liveness', '-o', 'custom-columns=REASON:.reason,MESSAGE:.message', '--no-headers']);
    assert.match(events, /Unhealthy\s+Liveness probe failed: cat: can't open '\/tmp\/healthy': No such file or directory/);
    assert.match(events, /Killing\s+Container app failed liveness probe, will be restarted/);
  });

  void it('a readiness probe gates Ready', { timeout }, async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'readiness' },
      spec: {
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '600'], readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 } }],
      },
    }));
    await eventually('the container running', async () => ((await getPod('readiness')).status?.containerStatuses?.[0]?.state?.running ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    await sleep(2000);
    const notReady = await getPod('readiness');
    assert.equal(notReady.status!.containerStatuses![0]!.ready, false);
    const readyCondition = notReady.status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(readyCondition.status, 'False');
    assert.equal(readyCondition.reason, 'ContainersNotReady');
    assert.equal(readyCondition.message, 'containers with unready status: [app]');
    await ok(['exec', 'readiness', '--', 'touch', '/tmp/ready']);
    await waitReady('pod/readiness', 30);
  });

  void it('a container over its memory limit is OOMKilled and reported so', { timeout }, async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'oom' },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'hog', image: 'busybox', command: ['tail', '/dev/zero'], resources: { limits: { memory: '20Mi' } } }],
      },
    }));
    const pod = await eventually('the pod failing', async () => {
      const p = await getPod('oom');
      return p.status?.phase === 'Failed' ? p : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    const terminated = pod.status!.containerStatuses![0]!.state!.terminated!;
    assert.equal(terminated.reason, 'OOMKilled');
    assert.equal(terminated.exitCode, 137);
    assert.equal(pod.status!.qosClass, 'Burstable');
  });

  void it('init containers run in order before the app container', { timeout }, async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'init' },
      spec: {
        volumes: [{ name: 'work', emptyDir: {} }],
        initContainers: [
          { name: 'first', image: 'busybox', command: ['sh', '-c', 'sleep 1; echo first >> /work/order'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
          { name: 'second', image: 'busybox', command: ['sh', '-c', 'echo second >> /work/order'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
        ],
        containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'cat /work/order; echo app; sleep 600'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
      },
    }));
    await waitReady('pod/init');
    const logs = await eventually('the app container log', async () => {
      const out = await ok(['logs', 'init', '-c', 'app']);
      return out.includes('app') ? out : undefined;
    }, { timeoutMs: 30_000 });
    assert.equal(logs, 'first\nsecond\napp\n');
    const pod = await getPod('init');
    assert.deepEqual(pod.status!.initContainerStatuses!.map((s) => [s.name, s.state?.terminated?.reason, s.state?.terminated?.exitCode]), [
      ['first', 'Completed', 0],
      ['second', 'Completed', 0],
    ]);
    const initialized = pod.status!.conditions!.find((c) => c.type === 'Initialized')!;
    assert.equal(initialized.status, 'True');
  });

  void it('a configMap volume change appears inside the pod', { timeout }, async () => {
    await ok(['create', 'configmap', 'settings', '--from-literal=color=blue']);
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'reader' },
      spec: {
        volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '600'], volumeMounts: [{ name: 'cfg', mountPath: '/etc/settings' }] }],
      },
    }));
    await waitReady('pod/reader');
    assert.equal(await ok(['exec', 'reader', '--', 'cat', '/etc/settings/color']), 'blue');
    await ok(['create', 'configmap', 'settings', '--from-literal=color=green', '--dry-run=client', '-o', 'yaml'], undefined).then((yaml) => ok(['replace', '-f', '-'], yaml));
    await eventually('the new value inside the pod', async () => ((await ok(['exec', 'reader', '--', 'cat', '/etc/settings/color'])) === 'green' ? true : undefined), { timeoutMs: 90_000, intervalMs: 500 });
  });

  void it('a 3-replica nginx Deployment rolled to another image keeps answering throughout', { timeout }, async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'nginx' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'nginx' } },
        template: {
          metadata: { labels: { app: 'nginx' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:latest', readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 } }] },
        },
      },
    }));
    await ok(['rollout', 'status', 'deployment/nginx', '--timeout=120s']);
    const readyIPs = async (): Promise<string[]> => {
      const pods = JSON.parse(await ok(['get', 'pods', '-l', 'app=nginx', '-o', 'json'])) as { items: Pod[] };
      return pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.status!.podIP!);
    };
    await ok(['set', 'image', 'deployment/nginx', 'nginx=nginx:1.22.1']);
    const rollout = ok(['rollout', 'status', 'deployment/nginx', '--timeout=180s']);
    let done = false;
    void rollout.finally(() => (done = true)).catch(() => {});
    let checks = 0;
    const failures: string[] = [];
    // Bounded: at most 600 rounds of requests to the ready pods while the rollout runs.
    while (!done && checks < 600) {
      const ips = await readyIPs();
      if (ips.length === 0) failures.push(`round ${checks}: no ready pod`);
      for (const ip of ips) {
        const page = await httpGet(ip, 80).catch((err: unknown) => ({ status: 0, body: String(err) }));
        if (page.status !== 200) failures.push(`round ${checks}: ${ip} answered ${page.status} ${page.body.slice(0, 80)}`);
      }
      checks++;
    }
    await rollout;
    assert.deepEqual(failures, []);
    assert.ok(checks > 0);
    await eventually('only the new pods left', async () => {
      const images = await ok(['get', 'pods', '-l', 'app=nginx', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
      return images.split(' ').sort().join(' ') === 'nginx:1.22.1 nginx:1.22.1 nginx:1.22.1' ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
  });

  void it("the tutorial's flannel DaemonSet ends in ImagePullBackOff with an event naming the image", { timeout }, async () => {
    const applied = await run(['apply', '-f', join(import.meta.dirname, 'fixtures', 'kube-flannel.yml')]);
    assert.match(applied.stdout, /daemonset\.apps\/kube-flannel-ds created/);
    const podName = await eventually('the flannel pod', async () => {
      const out = await ok(['get', 'pods', '-n', 'kube-system', '-l', 'app=flannel', '-o', 'jsonpath={.items[0].metadata.name}']);
      return out || undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    await eventually('Init:ImagePullBackOff', async () => {
      const out = await ok(['get', 'pod', '-n', 'kube-system', podName, '--no-headers']);
      return /Init:ImagePullBackOff/.test(out) ? out : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    const events = await ok(['get', 'events', '-n', 'kube-system', '--field-selector', `involvedObject.name=${podName}`, '-o', 'custom-columns=REASON:.reason,MESSAGE:.message', '--no-headers']);
    assert.match(events, /Failed\s+Failed to pull image "quay\.io\/coreos\/flannel:v0\.14\.0"/);
    assert.match(events, /BackOff\s+Back-off pulling image "quay\.io\/coreos\/flannel:v0\.14\.0"/);
    // The PodSecurityPolicy in the manifest has no kind to delete either; the rest goes.
    const deleted = await run(['delete', '-f', join(import.meta.dirname, 'fixtures', 'kube-flannel.yml'), '--ignore-not-found', '--wait=false']);
    assert.match(deleted.stdout, /daemonset\.apps "kube-flannel-ds" deleted/);
  });

  void it('deleting a pod leaves no container, sandbox, network namespace, IP allocation or mount behind', { timeout }, async () => {
    await ok(['run', 'gone', '--image=busybox', '--', 'sleep', '600']);
    await waitReady('pod/gone');
    const pod = await getPod('gone');
    const uid = pod.metadata!.uid!;
    const ip = pod.status!.podIP!;
    const sandboxes = await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } });
    assert.equal(sandboxes.length, 1);
    const status = await cri.podSandboxStatus(sandboxes[0]!.id, true);
    const netns = /"path":"(\/var\/run\/netns\/[^"]+)"/.exec(JSON.stringify(status.info))?.[1] ?? /(\/var\/run\/netns\/cni-[0-9a-f-]+)/.exec(JSON.stringify(status.info))?.[1];
    assert.ok(netns && existsSync(netns), `sandbox netns in ${JSON.stringify(status.info).slice(0, 400)}`);
    const ipamFile = join(server.dataDir, 'cni', 'networks', 'skiff', ip);
    // The host end of the pod's veth: eth0@ifN inside the pod's namespace names its index.
    const eth0 = await new Promise<string>((resolve) => {
      const child = spawn('ip', ['-n', netns.split('/').pop()!, '-o', 'link', 'show', 'eth0'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.on('close', () => resolve(out));
    });
    const peerIndex = /eth0@if(\d+)/.exec(eth0)?.[1];
    assert.ok(peerIndex, eth0);
    const hostVeth = readdirSync('/sys/class/net').find((n) => readFileSync(`/sys/class/net/${n}/ifindex`, 'utf8').trim() === peerIndex);
    assert.ok(hostVeth && existsSync(`/sys/class/net/cni0/brif/${hostVeth}`), `veth ${hostVeth} on cni0`);
    assert.ok(existsSync(ipamFile), ipamFile);

    await ok(['delete', 'pod', 'gone', '--grace-period=1', '--timeout=60s']);
    await eventually('everything gone', async () => {
      const left: string[] = [];
      if ((await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } })).length) left.push('sandbox');
      if ((await cri.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } })).length) left.push('containers');
      if (existsSync(netns)) left.push(`netns ${netns}`);
      if (existsSync(ipamFile)) left.push(`IP allocation ${ip}`);
      if (existsSync(`/sys/class/net/${hostVeth}`)) left.push(`veth ${hostVeth}`);
      if (readFileSync('/proc/mounts', 'utf8').includes(uid)) left.push('mounts');
      if (existsSync(join(server.dataDir, 'kubelet', 'pods', uid))) left.push('pod dir');
      const logDirs = readdirSync(join(server.dataDir, 'kubelet', 'logs')).filter((d) => d.endsWith(uid));
      if (logDirs.length) left.push('log dir');
      return left.length === 0 ? true : (console.log(`left: ${left.join(', ')}`), undefined);
    }, { timeoutMs: 60_000, intervalMs: 500 });
  });
});
