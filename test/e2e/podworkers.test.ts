// The pod workers with real containers: Skiff's own containerd in a temporary data dir, the real API server in-process,
// host-network pods (no CNI configuration needed) of a busybox-static image built offline. A pod runs and logs, a
// container killed with SIGKILL comes back, exit codes, termination messages and OOM kills are reported, a crash loop
// backs off, and a deleted pod leaves nothing behind.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Container, Pod } from 'kubernetes-types/core/v1.d.ts';
import { EventRecorder } from '../../src/client/events.ts';
import type { KubeObject } from '../../src/client/client.ts';
import { isNotFound } from '../../src/client/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { DEFAULT_SANDBOX_IMAGE } from '../../src/kubelet/containerd-config.ts';
import { BUSYBOX_STATIC, importImageArchive, ociImageArchive, pauseImageArchive } from '../../src/kubelet/containerd-images.ts';
import { ContainerdSupervisor, findContainerd } from '../../src/kubelet/containerd.ts';
import { PodWorkers } from '../../src/kubelet/pods/workers.ts';
import { CriRuntime } from '../../src/kubelet/runtime-cri.ts';
import { CRI_LABELS, kubeletPaths, type ContainerProbes, type KubeletPaths, type PodVolumes } from '../../src/kubelet/seams.ts';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { eventually } from '../support/server.ts';

const run = promisify(execFile);
const NODE = 'e2e-node';
const IMAGE = 'skiff.test/busybox:1';

/** Volumes with nothing but each container's termination-log file, as the real volumes part provides it. */
function terminationLogVolumes(paths: KubeletPaths): PodVolumes {
  return {
    setUp: async () => {},
    async mounts(pod, container) {
      const dir = path.join(paths.podDir(pod.metadata!.uid!), 'containers', container.name);
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `termination-log-${Date.now().toString(36)}`);
      writeFileSync(file, '');
      chmodSync(file, 0o666);
      return [{ containerPath: container.terminationMessagePath ?? '/dev/termination-log', hostPath: file }];
    },
    tearDown: async (uid) => rm(paths.podDir(uid), { recursive: true, force: true }),
  };
}

const noProbes: ContainerProbes = { add() {}, remove() {}, removePod() {}, ready: () => undefined, started: () => undefined };

describe('pod workers with containerd', { skip: process.getuid?.() !== 0 ? 'containerd needs root' : false }, () => {
  let dataDir: string;
  let supervisor: ContainerdSupervisor;
  let runtime: CriRuntime;
  let cluster: TestCluster;
  let paths: KubeletPaths;
  /** Containerd outlives the workers: the sandboxes are removed through it before it stops. */
  const stopContainerd = new AbortController();
  const stopWorkers = new AbortController();
  let workers: Promise<void> | undefined;

  before(async () => {
    findContainerd();
    dataDir = mkdtempSync(path.join(tmpdir(), 'sk-pw-'));
    supervisor = new ContainerdSupervisor({ dataDir, stopGraceMs: 5000 });
    await supervisor.start(stopContainerd.signal);
    assert.ok(existsSync(BUSYBOX_STATIC), `${BUSYBOX_STATIC} is missing: apt-get install busybox-static`);
    await importImageArchive(supervisor.paths.socket, pauseImageArchive(DEFAULT_SANDBOX_IMAGE));
    await importImageArchive(
      supervisor.paths.socket,
      ociImageArchive({
        name: IMAGE,
        cmd: ['/bin/sh'],
        layer: [
          { path: 'bin', type: 'dir' },
          { path: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync(BUSYBOX_STATIC) },
          ...['sh', 'sleep', 'echo', 'tail', 'cat'].map((cmd) => ({ path: `bin/${cmd}`, type: 'symlink' as const, target: 'busybox' })),
          { path: 'dev', type: 'dir' },
          { path: 'etc', type: 'dir' },
          { path: 'proc', type: 'dir' },
          { path: 'sys', type: 'dir' },
          { path: 'tmp', type: 'dir', mode: 0o1777 },
        ],
      }),
    );
    runtime = new CriRuntime({ endpoint: supervisor.endpoint, timeoutMs: 20_000 });
    cluster = await startTestCluster();
    paths = kubeletPaths(dataDir);
    workers = new PodWorkers({
      client: cluster.client,
      nodeName: NODE,
      runtime,
      paths,
      volumes: terminationLogVolumes(paths),
      environment: { env: async (_pod, c) => (c.env ?? []).map((e) => ({ key: e.name, value: e.value ?? '' })) },
      probes: noProbes,
      recorder: new EventRecorder(cluster.client, { component: 'kubelet', host: NODE }),
      clusterDNS: ['10.96.0.10'],
      clusterDomain: 'cluster.local',
      hostIPs: ['127.0.0.1'],
      logger: silentLogger(),
      relistPeriodMs: 500,
    }).start(stopWorkers.signal);
  });

  after(async () => {
    stopWorkers.abort();
    await workers;
    if (runtime) {
      for (const s of await runtime.listPodSandbox().catch(() => [])) {
        await runtime.stopPodSandbox(s.id).catch(() => {});
        await runtime.removePodSandbox(s.id).catch(() => {});
      }
      await runtime.close();
    }
    stopContainerd.abort();
    await supervisor?.stopped();
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const create = async (name: string, containers: Container[], spec: Partial<NonNullable<Pod['spec']>> = {}) =>
    (await cluster.client.create(gvr.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { nodeName: NODE, hostNetwork: true, terminationGracePeriodSeconds: 2, containers, ...spec },
    } as KubeObject)) as Pod;
  const get = async (name: string) => (await cluster.client.get(gvr.pods, 'default', name)) as Pod;
  const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({ name, image: IMAGE, command: ['/bin/sh', '-c', script], ...extra });

  it('runs a pod: Running, its container ID, image ID and log file', { timeout: 60_000 }, async () => {
    const pod = await create('hello', [sh('main', 'echo hello from skiff; exec sleep 3600')]);
    const status = await eventually('hello Running', async () => {
      const s = (await get('hello')).status;
      return s?.phase === 'Running' ? s : undefined;
    });
    const cs = status.containerStatuses![0]!;
    assert.match(cs.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
    assert.match(cs.imageID ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(cs.ready, true);
    assert.equal(status.podIP, '127.0.0.1', 'a host-network pod has the node address');
    const log = path.join(paths.podLogDir('default', 'hello', pod.metadata!.uid!), 'main', '0.log');
    await eventually('the log line', () => (existsSync(log) && /stdout F hello from skiff$/m.test(readFileSync(log, 'utf8')) ? true : undefined));
  });

  it('starts a container killed with SIGKILL again', { timeout: 60_000 }, async () => {
    const pod = await create('victim', [sh('main', 'exec sleep 3600')]);
    await eventually('victim Running', async () => ((await get('victim')).status?.phase === 'Running' ? true : undefined));
    const [c] = await runtime.listContainers({ labelSelector: { [CRI_LABELS.podUID]: pod.metadata!.uid! }, state: 'CONTAINER_RUNNING' });
    await run('ctr', ['--address', supervisor.paths.socket, '--namespace', 'k8s.io', 'tasks', 'kill', '--signal', 'SIGKILL', c!.id]);
    const cs = await eventually('victim restarted', async () => {
      const s = (await get('victim')).status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state?.running ? s : undefined;
    });
    assert.equal(cs.lastState?.terminated?.exitCode, 137);
    assert.equal(cs.lastState?.terminated?.reason, 'Error');
  });

  it('reports the exit code and termination message of a failed Never pod', { timeout: 60_000 }, async () => {
    await create('fails', [sh('main', 'echo "went wrong" > /dev/termination-log; exit 3')], { restartPolicy: 'Never' });
    const status = await eventually('fails Failed', async () => {
      const s = (await get('fails')).status;
      return s?.phase === 'Failed' ? s : undefined;
    });
    const terminated = status.containerStatuses?.[0]?.state?.terminated;
    assert.equal(terminated?.exitCode, 3);
    assert.equal(terminated?.reason, 'Error');
    assert.equal(terminated?.message, 'went wrong\n');
  });

  it('reports a container over its memory limit as OOMKilled', { timeout: 60_000 }, async () => {
    await create('hungry', [sh('main', 'tail /dev/zero', { resources: { limits: { memory: '16Mi' } } })], { restartPolicy: 'Never' });
    const terminated = await eventually(
      'hungry OOMKilled',
      async () => {
        const t = (await get('hungry')).status?.containerStatuses?.[0]?.state?.terminated;
        return t ? t : undefined;
      },
      { timeoutMs: 45_000 },
    );
    assert.equal(terminated.reason, 'OOMKilled');
    assert.equal(terminated.exitCode, 137);
  });

  it('backs off a crashing container: CrashLoopBackOff', { timeout: 60_000 }, async () => {
    await create('crashy', [sh('main', 'exit 1')]);
    const cs = await eventually('crashy in CrashLoopBackOff', async () => {
      const s = (await get('crashy')).status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.lastState?.terminated?.exitCode, 1);
  });

  it('deletes a pod and leaves no container, sandbox, log or pod directory behind', { timeout: 60_000 }, async () => {
    const pod = await create('doomed', [sh('main', 'trap "exit 0" TERM; while true; do sleep 1; done')]);
    const uid = pod.metadata!.uid!;
    await eventually('doomed Running', async () => ((await get('doomed')).status?.phase === 'Running' ? true : undefined));
    await cluster.client.delete(gvr.pods, 'default', 'doomed');
    await eventually('doomed gone from the API', async () => {
      try {
        await get('doomed');
        return undefined;
      } catch (err) {
        return isNotFound(err) ? true : undefined;
      }
    });
    assert.deepEqual(await runtime.listContainers({ labelSelector: { [CRI_LABELS.podUID]: uid } }), []);
    assert.deepEqual(await runtime.listPodSandbox({ labelSelector: { [CRI_LABELS.podUID]: uid } }), []);
    assert.equal(existsSync(paths.podLogDir('default', 'doomed', uid)), false);
    assert.equal(existsSync(paths.podDir(uid)), false);
  });
});
