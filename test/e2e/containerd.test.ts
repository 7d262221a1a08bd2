// Skiff's own containerd from Debian's packages, in a temporary data dir: CRI answers through Skiff's client, the
// supervisor starts containerd again after SIGKILL, and everything stops when the signal aborts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerdSupervisor, findContainerd } from '../../src/kubelet/containerd.ts';
import { CriClient } from '../../src/kubelet/cri/client.ts';
import { isCriError } from '../../src/kubelet/cri/errors.ts';
import { CriRuntime } from '../../src/kubelet/runtime-cri.ts';
import { DEFAULT_SANDBOX_IMAGE } from '../../src/kubelet/containerd-config.ts';
import { BUSYBOX_STATIC, importImageArchive, pauseImageArchive } from '../../src/kubelet/containerd-images.ts';
import type { PodSandboxConfig } from '../../src/kubelet/runtime.ts';

describe('Skiff-supervised containerd (Debian packages)', () => {
  let dataDir: string;
  let supervisor: ContainerdSupervisor;
  let client: CriClient;
  const stop = new AbortController();
  const logs: string[] = [];

  before(async () => {
    // Fails (does not skip) with the apt-get line to run when containerd, runc or the CNI plugins are missing.
    findContainerd();
    assert.equal(process.getuid?.(), 0, 'containerd needs root');
    dataDir = mkdtempSync(path.join(tmpdir(), 'skiff-ctd-'));
    supervisor = new ContainerdSupervisor({ dataDir, stopGraceMs: 5000, log: (m) => logs.push(m) });
    await supervisor.start(stop.signal);
    client = new CriClient({ endpoint: supervisor.endpoint, timeoutMs: 10_000 });
  });

  after(async () => {
    // Whatever a failed test left running: its sandbox holds mounts under the data dir.
    if (client && supervisor?.pid) {
      for (const s of await client.listPodSandbox().catch(() => [])) {
        await client.stopPodSandbox(s.id).catch(() => {});
        await client.removePodSandbox(s.id).catch(() => {});
      }
    }
    client?.close();
    stop.abort();
    await supervisor?.stopped();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes its config under the data dir with the CRI settings this machine needs', () => {
    const config = readFileSync(supervisor.paths.config, 'utf8');
    assert.match(config, /restrict_oom_score_adj = true/);
    assert.match(config, new RegExp(`address = "${supervisor.paths.socket}"`));
    assert.ok(supervisor.paths.socket.startsWith(dataDir));
  });

  it('answers Version and Status over CRI v1', async () => {
    const v = await client.version();
    assert.equal(v.runtimeName, 'containerd');
    assert.equal(v.runtimeApiVersion, 'v1');
    assert.match(v.runtimeVersion, /^v?1\.\d+/);
    const status = await client.status();
    const runtimeReady = status.status?.conditions.find((c) => c.type === 'RuntimeReady');
    assert.equal(runtimeReady?.status, true);
    // No CNI config has been written yet, so the network is not ready, and containerd says why.
    const networkReady = status.status?.conditions.find((c) => c.type === 'NetworkReady');
    assert.equal(networkReady?.status, false);
    assert.ok(networkReady?.reason);
  });

  it('answers the ImageService: no images, the image filesystem under its own root', async () => {
    assert.deepEqual(await client.listImages(), []);
    const fs = await client.imageFsInfo();
    assert.ok(fs.imageFilesystems.length >= 1);
    assert.ok(fs.imageFilesystems[0]!.fsId?.mountpoint.startsWith(supervisor.paths.root), fs.imageFilesystems[0]!.fsId?.mountpoint);
    assert.equal(typeof fs.imageFilesystems[0]!.usedBytes?.value, 'bigint');
    const missing = await client.imageStatus({ image: 'docker.io/library/not-here:1' });
    assert.equal(missing.image, undefined);
  });

  it('reports unknown ids as NotFound errors with the gRPC code', async () => {
    await assert.rejects(client.containerStatus('0123456789abcdef'), (err: unknown) => isCriError(err, 'NotFound') && err.code === 'NotFound');
    assert.deepEqual(await client.listContainers(), []);
    assert.deepEqual(await client.listPodSandbox(), []);
  });

  it('the cri ContainerRuntime speaks through the same socket', async () => {
    const runtime = new CriRuntime({ endpoint: supervisor.endpoint });
    try {
      const v = await runtime.version();
      assert.equal(v.runtimeName, 'containerd');
      const conditions = await runtime.status();
      assert.deepEqual(conditions.map((c) => c.type).sort(), ['NetworkReady', 'RuntimeReady']);
      assert.deepEqual(await runtime.listImages(), []);
      assert.equal(await runtime.imageStatus({ image: 'docker.io/library/not-here:1' }), undefined);
      await assert.rejects(runtime.podSandboxStatus('nope'), (err: unknown) => isCriError(err, 'NotFound'));
    } finally {
      await runtime.close();
    }
  });

  it('runs a sandbox and a container offline from a pause image built from busybox-static', async () => {
    assert.ok(existsSync(BUSYBOX_STATIC), `${BUSYBOX_STATIC} is missing: apt-get install busybox-static`);
    await importImageArchive(supervisor.paths.socket, pauseImageArchive(DEFAULT_SANDBOX_IMAGE));
    const runtime = new CriRuntime({ endpoint: supervisor.endpoint });
    try {
      const t0 = Date.now();
      const step = (what: string) => logs.push(`${Date.now() - t0} ms: ${what}`);
      const [pause] = await runtime.listImages();
      assert.deepEqual(pause?.repoTags, [DEFAULT_SANDBOX_IMAGE]);
      const logDirectory = path.join(dataDir, 'pods', 'default_p1_u1');
      mkdirSync(logDirectory, { recursive: true });
      // Host network: no CNI configuration is written yet.
      const sandboxConfig: PodSandboxConfig = {
        metadata: { name: 'p1', uid: 'u1', namespace: 'default', attempt: 0 },
        logDirectory,
        labels: { 'io.kubernetes.pod.name': 'p1' },
        linux: { namespaceOptions: { network: 'NODE' } },
      };
      step('run sandbox');
      const sandboxId = await runtime.runPodSandbox(sandboxConfig);
      step('sandbox running');
      const sandbox = await runtime.podSandboxStatus(sandboxId);
      assert.equal(sandbox.state, 'SANDBOX_READY', logs.join('\n'));
      assert.deepEqual(sandbox.metadata, sandboxConfig.metadata);
      assert.deepEqual(
        (await runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': 'p1' } })).map((s) => s.id),
        [sandboxId],
      );

      const containerId = await runtime.createContainer(
        sandboxId,
        {
          metadata: { name: 'main', attempt: 0 },
          image: { image: DEFAULT_SANDBOX_IMAGE },
          command: ['/bin/sh', '-c', 'echo hello from $GREETING; exit 3'],
          envs: [{ key: 'GREETING', value: 'skiff' }],
          logPath: 'main/0.log',
        },
        sandboxConfig,
      );
      assert.equal((await runtime.containerStatus(containerId)).state, 'CONTAINER_CREATED');
      step('container created');
      await runtime.startContainer(containerId);
      step('container started');
      let status = await runtime.containerStatus(containerId);
      for (let i = 0; i < 100 && status.state !== 'CONTAINER_EXITED'; i++) {
        await sleep(50);
        status = await runtime.containerStatus(containerId);
      }
      step('container exited');
      assert.equal(status.state, 'CONTAINER_EXITED', logs.join('\n'));
      assert.equal(status.exitCode, 3);
      assert.equal(status.reason, 'Error');
      assert.equal(status.imageRef, pause!.id);
      // Both set; containerd may stamp a quick exit a little before the start it records.
      assert.ok(status.startedAt > 0n && status.finishedAt > 0n, `started ${status.startedAt}, finished ${status.finishedAt}`);
      // CRI's log format: timestamp, stream, tag, line.
      assert.match(readFileSync(path.join(logDirectory, 'main', '0.log'), 'utf8'), /^\S+ stdout F hello from skiff$/m);

      await runtime.removeContainer(containerId);
      await runtime.stopPodSandbox(sandboxId);
      assert.equal((await runtime.podSandboxStatus(sandboxId)).state, 'SANDBOX_NOTREADY');
      await runtime.removePodSandbox(sandboxId);
      assert.deepEqual(await runtime.listPodSandbox(), []);
      assert.deepEqual(await runtime.listContainers(), []);
    } finally {
      for (const s of await runtime.listPodSandbox().catch(() => [])) {
        await runtime.stopPodSandbox(s.id).catch(() => {});
        await runtime.removePodSandbox(s.id).catch(() => {});
      }
      await runtime.close();
    }
  });

  it('starts containerd again after it is killed with SIGKILL', async () => {
    const first = supervisor.pid;
    assert.ok(first);
    process.kill(first, 'SIGKILL');
    // Bounded: the supervisor's first restart delay is 200 ms and a start takes well under a second here.
    for (let i = 0; i < 150 && (supervisor.pid === undefined || supervisor.pid === first); i++) await sleep(100);
    assert.notEqual(supervisor.pid, first, logs.join('\n'));
    assert.equal(supervisor.restarts, 1, logs.join('\n'));
    await supervisor.waitReady();
    const v = await client.version();
    assert.equal(v.runtimeName, 'containerd');
  });

  it('stops containerd when the signal aborts', async () => {
    const pid = supervisor.pid;
    assert.ok(pid);
    stop.abort();
    await supervisor.stopped();
    assert.equal(supervisor.pid, undefined);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    assert.equal(existsSync(supervisor.paths.pidFile), false);
    await assert.rejects(client.version({ timeoutMs: 2000 }), (err: unknown) => isCriError(err) && err.code === 'Unavailable');
  });
});

describe('Skiff-supervised containerd, stopped while it is being restarted', () => {
  it('start rejects with the abort reason when stopped before containerd answers', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'skiff-ctd-'));
    try {
      const stop = new AbortController();
      const supervisor = new ContainerdSupervisor({ dataDir });
      const started = supervisor.start(stop.signal);
      stop.abort(new Error('shutting down'));
      await assert.rejects(started, /shutting down/);
      await supervisor.stopped();
      assert.equal(supervisor.pid, undefined);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('stops the new containerd too', { timeout: 60_000 }, async () => {
    findContainerd();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'skiff-ctd-'));
    const stop = new AbortController();
    const supervisor = new ContainerdSupervisor({ dataDir, stopGraceMs: 5000, restartDelayMs: 0 });
    try {
      await supervisor.start(stop.signal);
      const first = supervisor.pid!;
      process.kill(first, 'SIGKILL');
      for (let i = 0; i < 150 && (supervisor.pid === undefined || supervisor.pid === first); i++) await sleep(20);
      const second = supervisor.pid;
      assert.ok(second && second !== first);
      stop.abort();
      await supervisor.stopped();
      assert.equal(supervisor.pid, undefined);
      assert.throws(() => process.kill(second, 0), /ESRCH/);
    } finally {
      stop.abort();
      await supervisor.stopped();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
