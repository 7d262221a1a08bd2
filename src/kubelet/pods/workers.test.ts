// The pod workers against the real API server (in-process) and the simulated runtime: pods go Running with
// upstream's status, crash loops back off, Never pods fail, init containers run in order, deletion cleans up.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Container, Event, Pod } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import { eventually } from '../../../test/support/server.ts';
import type { KubeObject } from '../../client/client.ts';
import { isNotFound } from '../../client/errors.ts';
import { EventRecorder } from '../../client/events.ts';
import { silentLogger } from '../../log.ts';
import { RuntimeError, type AuthConfig, type ContainerConfig, type ImageSpec, type KeyValue, type PodSandboxConfig } from '../runtime.ts';
import { SimulatedRuntime } from '../runtime-simulated.ts';
import { ContainerConfigError, CRI_LABELS, kubeletPaths, type ContainerEnvironment, type ContainerProbes, type PodVolumes } from '../seams.ts';
import { PodWorkers } from './workers.ts';

const NODE = 'node-a';
const HOST_IP = '192.0.2.10';

/** What a test pod's containers do, from the container's env: EXIT_AFTER_MS and EXIT_CODE. */
function behaviour(config: ContainerConfig) {
  const env = new Map((config.envs ?? []).map((e) => [e.key, e.value]));
  started.push(`${config.labels?.['io.kubernetes.pod.name']}/${config.metadata.name}`);
  const after = env.get('EXIT_AFTER_MS');
  return after === undefined ? {} : { exitAfterMs: Number(after), exitCode: Number(env.get('EXIT_CODE') ?? 0) };
}
const started: string[] = [];

const fakeVolumes = (tornDown: string[]): PodVolumes => ({
  setUp: async () => {},
  mounts: async () => [],
  tearDown: async (uid) => {
    tornDown.push(uid);
  },
});

const fakeEnvironment: ContainerEnvironment = {
  async env(_pod, container: Container): Promise<KeyValue[]> {
    const out: KeyValue[] = [];
    for (const e of container.env ?? []) {
      if (e.valueFrom?.configMapKeyRef) throw new ContainerConfigError(`configmap "${e.valueFrom.configMapKeyRef.name}" not found`);
      out.push({ key: e.name, value: e.value ?? '' });
    }
    return out;
  },
};

/** Probes whose results a test sets: readiness by `${uid}/${container}`. */
const fakeProbes = (): ContainerProbes & { readiness: Map<string, boolean> } => {
  const readiness = new Map<string, boolean>();
  return {
    readiness,
    add: () => {},
    remove: () => {},
    removePod: () => {},
    ready: (uid, name) => readiness.get(`${uid}/${name}`),
    started: () => undefined,
  };
};

/** The simulated runtime, noting how long each StopContainer gave the container. */
class RecordingRuntime extends SimulatedRuntime {
  readonly stopTimeouts = new Map<string, number>();
  /** Pods named nosandbox get no sandbox: the network cannot be set up. */
  override async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    if (config.metadata.name === 'nosandbox') throw new RuntimeError('Unknown', 'failed to setup network for sandbox: cni plugin not initialized');
    return super.runPodSandbox(config);
  }
  /** Pulls of hang.example images never finish. */
  override pullImage(image: ImageSpec, auth?: AuthConfig): Promise<string> {
    if (image.image.startsWith('hang.example/')) return new Promise(() => {});
    return super.pullImage(image, auth);
  }
  override async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    this.stopTimeouts.set(containerId, timeoutSeconds);
    return super.stopContainer(containerId, timeoutSeconds);
  }
}

describe('PodWorkers with the simulated runtime', () => {
  let cluster: TestCluster;
  let dataDir: string;
  let runtime: RecordingRuntime;
  let workers: PodWorkers;
  const probes = fakeProbes();
  const hookCalls: string[] = [];
  let hookServer: Server;
  let hookPort = 0;
  const stop = new AbortController();
  let running: Promise<void>;
  const tornDown: string[] = [];
  let nextIP = 2;

  before(async () => {
    cluster = await startTestCluster();
    dataDir = mkdtempSync(path.join(tmpdir(), 'sk-pods-'));
    hookServer = createServer((req, res) => {
      hookCalls.push(req.url ?? '');
      res.writeHead(req.url === '/fail' ? 500 : 200).end();
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    hookPort = (hookServer.address() as AddressInfo).port;
    runtime = new RecordingRuntime({
      allocateIPs: () => [`10.244.0.${nextIP++}`],
      behaviour,
      unpullable: (image) => image.startsWith('unreachable.example/'),
    });
    workers = new PodWorkers({
      client: cluster.client,
      nodeName: NODE,
      runtime,
      paths: kubeletPaths(dataDir),
      volumes: fakeVolumes(tornDown),
      environment: fakeEnvironment,
      probes,
      recorder: new EventRecorder(cluster.client, { component: 'kubelet', host: NODE }),
      clusterDNS: ['10.96.0.10'],
      clusterDomain: 'cluster.local',
      hostIPs: [HOST_IP],
      logger: silentLogger(),
      relistPeriodMs: 100,
      resolvConf: path.join(dataDir, 'no-resolv.conf'),
    });
    running = workers.start(stop.signal);
  });

  after(async () => {
    stop.abort();
    await running;
    await runtime.close();
    hookServer.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const create = async (name: string, spec: Partial<Pod['spec']> & { containers: Container[] }): Promise<Pod> =>
    (await cluster.client.create(gvr.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: NODE, ...spec } } as KubeObject)) as Pod;
  const get = async (name: string) => (await cluster.client.get(gvr.pods, 'default', name)) as Pod;
  const events = async (name: string) =>
    (await cluster.client.list(gvr.events, 'default', { fieldSelector: `involvedObject.name=${name}` })).items as unknown as Event[];
  const exitEnv = (ms: number, code: number) => [
    { name: 'EXIT_AFTER_MS', value: String(ms) },
    { name: 'EXIT_CODE', value: String(code) },
  ];

  it('runs a pod and reports its status as kubelet does', async () => {
    const pod = await create('web', { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] });
    const status = await eventually('web Running and Ready', async () => {
      const p = await get('web');
      return p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p.status : undefined;
    });
    assert.equal(status.hostIP, HOST_IP);
    assert.deepEqual(status.hostIPs, [{ ip: HOST_IP }]);
    assert.match(status.podIP ?? '', /^10\.244\.0\.\d+$/);
    assert.deepEqual(status.podIPs, [{ ip: status.podIP }]);
    assert.equal(status.qosClass, 'BestEffort');
    assert.ok(status.startTime);
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status]),
      [
        ['PodReadyToStartContainers', 'True'],
        ['Initialized', 'True'],
        ['Ready', 'True'],
        ['ContainersReady', 'True'],
        ['PodScheduled', 'True'],
      ],
    );
    const [cs] = status.containerStatuses ?? [];
    assert.equal(cs?.name, 'nginx');
    assert.equal(cs?.ready, true);
    assert.equal(cs?.started, true);
    assert.equal(cs?.restartCount, 0);
    assert.ok(cs?.state?.running?.startedAt);
    assert.deepEqual(cs?.lastState, {});
    assert.equal(cs?.image, 'nginx:1.27');
    assert.match(cs?.imageID ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.match(cs?.containerID ?? '', /^simulated:\/\/[0-9a-f]{64}$/);

    const sandboxes = await runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': pod.metadata!.uid! } });
    assert.equal(sandboxes.length, 1);
    assert.equal(sandboxes[0]!.state, 'SANDBOX_READY');
    const evs = await eventually('the kubelet events', async () => {
      const list = await events('web');
      return list.some((e) => e.reason === 'Started') ? list : undefined;
    });
    const byReason = new Map(evs.map((e) => [e.reason, e]));
    assert.equal(byReason.get('Pulling')?.message, 'Pulling image "nginx:1.27"');
    assert.match(byReason.get('Pulled')?.message ?? '', /^Successfully pulled image "nginx:1\.27" in \d+(\.\d+)?m?s \(\d+(\.\d+)?m?s including waiting\)\. Image size: \d+ bytes\.$/);
    assert.equal(byReason.get('Created')?.message, 'Created container: nginx');
    assert.equal(byReason.get('Started')?.message, 'Started container nginx');
    assert.equal(byReason.get('Started')?.involvedObject?.fieldPath, 'spec.containers{nginx}');
    assert.equal(byReason.get('Started')?.source?.host, NODE);
    assert.equal(workers.runningPods() >= 1, true);
  });

  it('restarts a container that exits 1 (restartPolicy Always), then backs off: CrashLoopBackOff', async () => {
    const pod = await create('crash', { containers: [{ name: 'c', image: 'busybox:1.36', env: exitEnv(30, 1) }] });
    const cs = await eventually('crash in CrashLoopBackOff', async () => {
      const s = (await get('crash')).status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.state?.waiting?.message, `back-off 10s restarting failed container=c pod=crash_default(${pod.metadata!.uid})`);
    assert.equal(cs.lastState?.terminated?.exitCode, 1);
    assert.equal(cs.lastState?.terminated?.reason, 'Error');
    assert.match(cs.lastState?.terminated?.containerID ?? '', /^simulated:\/\//);
    assert.equal(cs.ready, false);
    const p = await get('crash');
    assert.equal(p.status?.phase, 'Running');
    assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.message, 'containers with unready status: [c]');
    await eventually('a BackOff event', async () =>
      (await events('crash')).find((e) => e.reason === 'BackOff' && e.message === `Back-off restarting failed container c in pod crash_default(${pod.metadata!.uid})`),
    );
    // The crash loop keeps one exited instance (for lastState and --previous) beside nothing else.
    const containers = await runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': pod.metadata!.uid! } });
    assert.equal(containers.length, 1);
  });

  it('fails a restartPolicy Never pod whose container exits non-zero, and stops its sandbox', async () => {
    const pod = await create('once', { restartPolicy: 'Never', containers: [{ name: 'job', image: 'busybox:1.36', env: exitEnv(30, 3) }] });
    const status = await eventually('once Failed', async () => {
      const s = (await get('once')).status;
      return s?.phase === 'Failed' ? s : undefined;
    });
    const cs = status.containerStatuses?.[0];
    assert.equal(cs?.state?.terminated?.exitCode, 3);
    assert.equal(cs?.state?.terminated?.reason, 'Error');
    assert.equal(cs?.restartCount, 0);
    assert.deepEqual(
      status.conditions?.filter((c) => c.type === 'Ready' || c.type === 'ContainersReady').map((c) => [c.type, c.status, c.reason]),
      [
        ['Ready', 'False', 'PodFailed'],
        ['ContainersReady', 'False', 'PodFailed'],
      ],
    );
    assert.ok(status.podIP, 'a finished pod keeps showing its address');
    await eventually('the sandbox stopped', async () => {
      const s = await runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': pod.metadata!.uid! } });
      return s.every((x) => x.state === 'SANDBOX_NOTREADY') ? true : undefined;
    });
    assert.ok(tornDown.includes(pod.metadata!.uid!), 'volumes torn down');
  });

  it('runs init containers one after the other before the app containers', async () => {
    await create('init', {
      initContainers: [
        { name: 'first', image: 'busybox:1.36', env: exitEnv(40, 0) },
        { name: 'second', image: 'busybox:1.36', env: exitEnv(40, 0) },
      ],
      containers: [{ name: 'app', image: 'busybox:1.36' }],
    });
    const status = await eventually('init Running', async () => {
      const s = (await get('init')).status;
      return s?.phase === 'Running' ? s : undefined;
    });
    assert.deepEqual(
      started.filter((s) => s.startsWith('init/')),
      ['init/first', 'init/second', 'init/app'],
    );
    assert.deepEqual(
      status.initContainerStatuses?.map((s) => [s.name, s.state?.terminated?.reason, s.state?.terminated?.exitCode, s.ready]),
      [
        ['first', 'Completed', 0, true],
        ['second', 'Completed', 0, true],
      ],
    );
    assert.equal(status.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
  });

  it('keeps a pod Pending with PodInitializing while an init container runs', async () => {
    await create('slow-init', {
      initContainers: [{ name: 'wait', image: 'busybox:1.36' }],
      containers: [{ name: 'app', image: 'busybox:1.36' }],
    });
    const status = await eventually('slow-init reported', async () => {
      const s = (await get('slow-init')).status;
      return s?.initContainerStatuses?.[0]?.state?.running ? s : undefined;
    });
    assert.equal(status.phase, 'Pending');
    assert.equal(status.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    const init = status.conditions?.find((c) => c.type === 'Initialized');
    assert.deepEqual([init?.status, init?.reason, init?.message], ['False', 'ContainersNotInitialized', 'containers with incomplete status: [wait]']);
  });

  it('restarts a container killed outside Skiff (PLEG)', async () => {
    const pod = await create('killed', { containers: [{ name: 'c', image: 'busybox:1.36' }] });
    const uid = pod.metadata!.uid!;
    await eventually('killed Running', async () => ((await get('killed')).status?.phase === 'Running' ? true : undefined));
    const [c] = await runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid }, state: 'CONTAINER_RUNNING' });
    await runtime.stopContainer(c!.id, 0);
    const cs = await eventually('c restarted', async () => {
      const s = (await get('killed')).status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state?.running ? s : undefined;
    });
    assert.equal(cs.lastState?.terminated?.exitCode, 137);
    assert.notEqual(cs.containerID, `simulated://${c!.id}`);
  });

  it('reports CreateContainerConfigError when the environment cannot be made', async () => {
    await create('noconf', {
      containers: [{ name: 'c', image: 'busybox:1.36', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k' } } }] }],
    });
    const cs = await eventually('noconf waiting', async () => {
      const s = (await get('noconf')).status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CreateContainerConfigError' ? s : undefined;
    });
    assert.equal(cs.state?.waiting?.message, 'configmap "missing" not found');
    await eventually('a Failed event', async () => (await events('noconf')).find((e) => e.reason === 'Failed' && e.message === 'Error: configmap "missing" not found'));
  });

  it('reports ErrImagePull, then ImagePullBackOff, with an event that says how to provide the image offline', async () => {
    await create('nopull', { containers: [{ name: 'c', image: 'unreachable.example/app:1' }] });
    const failed = await eventually('a Failed pull event', async () => (await events('nopull')).find((e) => e.reason === 'Failed' && e.message?.startsWith('Failed to pull image')));
    assert.match(failed.message ?? '', /^Failed to pull image "unreachable\.example\/app:1": .*failed to resolve reference/);
    assert.match(failed.message ?? '', /skiff image import FILE/);
    assert.match(failed.message ?? '', /skiff image build/);
    const cs = await eventually('nopull in ImagePullBackOff', async () => {
      const s = (await get('nopull')).status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'ImagePullBackOff' ? s : undefined;
    });
    assert.match(cs.state?.waiting?.message ?? '', /^Back-off pulling image "unreachable\.example\/app:1": ErrImagePull: /);
    assert.equal((await get('nopull')).status?.phase, 'Pending');
  });

  it('deletes a pod gracefully: containers stopped, sandbox and containers removed, pod gone from the API', async () => {
    const pod = await create('gone', { containers: [{ name: 'c', image: 'busybox:1.36' }] });
    const uid = pod.metadata!.uid!;
    await eventually('gone Running', async () => ((await get('gone')).status?.phase === 'Running' ? true : undefined));
    const logDir = kubeletPaths(dataDir).podLogDir('default', 'gone', uid);
    assert.ok(existsSync(logDir));
    await cluster.client.delete(gvr.pods, 'default', 'gone');
    await eventually('gone deleted from the API', async () => {
      try {
        await get('gone');
        return undefined;
      } catch (err) {
        return isNotFound(err) ? true : undefined;
      }
    });
    assert.deepEqual(await runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } }), []);
    assert.deepEqual(await runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } }), []);
    assert.equal(existsSync(logDir), false);
    assert.ok(tornDown.includes(uid));
    await eventually('a Killing event', async () => (await events('gone')).find((e) => e.reason === 'Killing' && e.message === 'Stopping container c'));
  });

  it('cleans up after a pod force-deleted from the API', async () => {
    const pod = await create('forced', { containers: [{ name: 'c', image: 'busybox:1.36' }] });
    const uid = pod.metadata!.uid!;
    await eventually('forced Running', async () => ((await get('forced')).status?.phase === 'Running' ? true : undefined));
    await cluster.client.delete(gvr.pods, 'default', 'forced', { gracePeriodSeconds: 0 });
    await eventually('nothing left of forced', async () => {
      const [s, c] = await Promise.all([runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } }), runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } })]);
      return s.length === 0 && c.length === 0 ? true : undefined;
    });
  });

  it('restarts a container whose liveness probe failed, and gates Ready on readiness', async () => {
    const pod = await create('probed', { containers: [{ name: 'c', image: 'busybox:1.36' }] });
    const uid = pod.metadata!.uid!;
    probes.readiness.set(`${uid}/c`, false);
    const status = await eventually('probed Running, not Ready', async () => {
      const s = (await get('probed')).status;
      return s?.phase === 'Running' && s.containerStatuses?.[0]?.state?.running ? s : undefined;
    });
    assert.equal(status.containerStatuses?.[0]?.ready, false);
    assert.equal(status.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    probes.readiness.set(`${uid}/c`, true);
    workers.changed(uid);
    await eventually('probed Ready', async () => ((await get('probed')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? true : undefined));

    const [c] = await runtime.listContainers({ labelSelector: { [CRI_LABELS.podUID]: uid }, state: 'CONTAINER_RUNNING' });
    workers.unhealthy(uid, 'c', c!.id, 'liveness', 'Liveness probe failed: HTTP probe failed with statuscode: 500');
    const cs = await eventually('c restarted after the liveness failure', async () => {
      const s = (await get('probed')).status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state?.running ? s : undefined;
    });
    assert.equal(cs.lastState?.terminated?.containerID, `simulated://${c!.id}`);
    await eventually('a Killing event', async () => (await events('probed')).find((e) => e.reason === 'Killing' && e.message === 'Container c failed liveness probe, will be restarted'));
  });

  it('runs a sidecar init container beside the app container', async () => {
    await create('sidecar', {
      initContainers: [{ name: 'proxy', image: 'busybox:1.36', restartPolicy: 'Always' }],
      containers: [{ name: 'app', image: 'busybox:1.36' }],
    });
    const status = await eventually('sidecar Running and Ready', async () => {
      const s = (await get('sidecar')).status;
      return s?.phase === 'Running' && s.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? s : undefined;
    });
    const proxy = status.initContainerStatuses?.[0];
    assert.ok(proxy?.state?.running);
    assert.equal(proxy?.ready, true);
    assert.equal(proxy?.started, true);
    assert.ok(status.containerStatuses?.[0]?.state?.running);
  });

  it('runs preStop before stopping a container on deletion, within the grace period', async () => {
    const pod = await create('hooked', {
      terminationGracePeriodSeconds: 7,
      containers: [{ name: 'c', image: 'busybox:1.36', lifecycle: { preStop: { httpGet: { host: '127.0.0.1', port: hookPort, path: '/prestop' } } } }],
    });
    await eventually('hooked Running', async () => ((await get('hooked')).status?.phase === 'Running' ? true : undefined));
    const [c] = await runtime.listContainers({ labelSelector: { [CRI_LABELS.podUID]: pod.metadata!.uid! } });
    await cluster.client.delete(gvr.pods, 'default', 'hooked');
    await eventually('hooked gone', async () => {
      try {
        await get('hooked');
        return undefined;
      } catch (err) {
        return isNotFound(err) ? true : undefined;
      }
    });
    assert.ok(hookCalls.includes('/prestop'));
    const timeout = runtime.stopTimeouts.get(c!.id);
    assert.ok(timeout !== undefined && timeout >= 6 && timeout <= 7, `StopContainer timeout ${timeout}`);
  });

  it('kills a container whose postStart hook fails: PostStartHookError', async () => {
    await create('poststart', {
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: 'busybox:1.36', lifecycle: { postStart: { httpGet: { host: '127.0.0.1', port: hookPort, path: '/fail' } } } }],
    });
    await eventually('a FailedPostStartHook event', async () => (await events('poststart')).find((e) => e.reason === 'FailedPostStartHook' && e.message === 'PostStartHook failed'));
    // The simulated container honours SIGTERM and exits 0, so the Never pod ends Succeeded.
    const status = await eventually('poststart finished', async () => {
      const s = (await get('poststart')).status;
      return s?.phase === 'Succeeded' || s?.phase === 'Failed' ? s : undefined;
    });
    assert.ok(status.containerStatuses?.[0]?.state?.terminated);
    assert.ok(hookCalls.includes('/fail'));
    await eventually('a Killing event', async () => (await events('poststart')).find((e) => e.reason === 'Killing' && e.message === 'FailedPostStartHook'));
  });

  it('removes sandboxes and containers of pods the API does not have', async () => {
    const labels = { [CRI_LABELS.podUID]: 'orphan-uid', [CRI_LABELS.podName]: 'ghost', [CRI_LABELS.podNamespace]: 'default' };
    const config = { metadata: { name: 'ghost', namespace: 'default', uid: 'orphan-uid', attempt: 0 }, labels };
    const sandbox = await runtime.runPodSandbox(config);
    await runtime.pullImage({ image: 'busybox:1.36' });
    const id = await runtime.createContainer(sandbox, { metadata: { name: 'c', attempt: 0 }, image: { image: 'busybox:1.36' }, labels: { ...labels, [CRI_LABELS.containerName]: 'c' } }, config);
    await runtime.startContainer(id);
    await eventually('the orphan cleaned up', async () => {
      const [s, c] = await Promise.all([runtime.listPodSandbox({ labelSelector: { [CRI_LABELS.podUID]: 'orphan-uid' } }), runtime.listContainers({ labelSelector: { [CRI_LABELS.podUID]: 'orphan-uid' } })]);
      return s.length === 0 && c.length === 0 ? true : undefined;
    });
    assert.ok(tornDown.includes('orphan-uid'));
  });

  it('stops waiting for an image pull when the pod is deleted', async () => {
    await create('stuck', { containers: [{ name: 'c', image: 'hang.example/app:1' }] });
    await eventually('the pull under way', async () => (await events('stuck')).find((e) => e.reason === 'Pulling'));
    await cluster.client.delete(gvr.pods, 'default', 'stuck');
    await eventually('stuck gone from the API', async () => {
      try {
        await get('stuck');
        return undefined;
      } catch (err) {
        return isNotFound(err) ? true : undefined;
      }
    });
  });

  it('reports a sandbox that cannot be made: FailedCreatePodSandBox, the pod stays Pending', async () => {
    await create('nosandbox', { containers: [{ name: 'c', image: 'busybox:1.36' }] });
    const event = await eventually('a FailedCreatePodSandBox event', async () => (await events('nosandbox')).find((e) => e.reason === 'FailedCreatePodSandBox'));
    assert.equal(event.type, 'Warning');
    assert.equal(event.message, 'Failed to create pod sandbox: failed to setup network for sandbox: cni plugin not initialized');
    const status = await eventually('nosandbox reported', async () => (await get('nosandbox')).status?.containerStatuses ? (await get('nosandbox')).status : undefined);
    assert.equal(status.phase, 'Pending');
    assert.equal(status.conditions?.find((c) => c.type === 'PodReadyToStartContainers')?.status, 'False');
    assert.deepEqual(status.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
  });

  it('makes a new sandbox when the old one died, and removes the old one once nothing of it is kept', async () => {
    const pod = await create('resandbox', { containers: [{ name: 'c', image: 'busybox:1.36' }] });
    const uid = pod.metadata!.uid!;
    const byUid = { labelSelector: { [CRI_LABELS.podUID]: uid } };
    await eventually('resandbox Running', async () => ((await get('resandbox')).status?.phase === 'Running' ? true : undefined));
    const [old] = await runtime.listPodSandbox(byUid);
    await runtime.stopPodSandbox(old!.id);
    await eventually('a SandboxChanged event', async () => (await events('resandbox')).find((e) => e.reason === 'SandboxChanged' && e.message === 'Pod sandbox changed, it will be killed and re-created.'));
    const cs = await eventually('c running again', async () => {
      const s = (await get('resandbox')).status?.containerStatuses?.[0];
      return s?.state?.running && s.restartCount === 1 ? s : undefined;
    });
    assert.equal(cs.lastState?.terminated?.exitCode, 137);
    const fresh = (await runtime.listPodSandbox({ ...byUid, state: 'SANDBOX_READY' }))[0]!;
    assert.equal(fresh.metadata.attempt, 1);
    // The old sandbox stays while its dead container is the one lastState shows; the next restart lets both go.
    const [running] = await runtime.listContainers({ ...byUid, state: 'CONTAINER_RUNNING' });
    await runtime.stopContainer(running!.id, 0);
    await eventually('only the new sandbox left', async () => {
      const list = await runtime.listPodSandbox(byUid);
      return list.length === 1 && list[0]!.id === fresh.id ? true : undefined;
    });
  });
});
