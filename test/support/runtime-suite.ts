// One test suite for every ContainerRuntime (src/kubelet/runtime.ts): what the node agent relies on from any runtime,
// run against the simulated one (src/kubelet/runtime-simulated.test.ts) and against containerd through CRI
// (test/e2e/runtime-cri.test.ts).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerConfig, ContainerRuntime, PodSandboxConfig } from '../../src/kubelet/runtime.ts';

export interface RuntimeUnderTest {
  runtime: ContainerRuntime;
  /** An image the runtime has (pulled or imported), which can run `sh -c`. */
  image: string;
  /** A sandbox config the runtime can run here (e.g. host network when there is no CNI). */
  sandbox(name: string, uid: string): PodSandboxConfig;
  /** A container that runs until stopped, or exits by itself with `exitCode`. */
  container(name: string, behaviour: { exitCode?: number }): ContainerConfig;
}

const isNotFound = (err: unknown) => (err as { code?: unknown })?.code === 'NotFound';

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The runtime under test, with the CRI labels the node agent puts on everything it creates. */
function labelled(rut: RuntimeUnderTest): RuntimeUnderTest {
  return {
    ...rut,
    sandbox: (name, uid) => {
      const c = rut.sandbox(name, uid);
      return { ...c, labels: { ...c.labels, 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.uid': uid } };
    },
    container: (name, behaviour) => {
      const c = rut.container(name, behaviour);
      return { ...c, labels: { ...c.labels, 'io.kubernetes.container.name': name } };
    },
  };
}

export function runtimeConformance(setupRuntime: () => RuntimeUnderTest): void {
  const setup = () => labelled(setupRuntime());
  it('reports CRI v1 and its conditions', async () => {
    const { runtime } = setup();
    const v = await runtime.version();
    assert.equal(v.runtimeApiVersion, 'v1');
    assert.ok(v.runtimeName);
    const types = (await runtime.status()).map((c) => c.type);
    assert.ok(types.includes('RuntimeReady'), types.join(','));
  });

  it('runs a sandbox, finds it by label, stops and removes it', async () => {
    const { runtime, sandbox } = setup();
    const config = sandbox('suite-sandbox', 'uid-sandbox');
    const id = await runtime.runPodSandbox(config);
    const status = await runtime.podSandboxStatus(id);
    assert.equal(status.state, 'SANDBOX_READY');
    assert.deepEqual(status.metadata, config.metadata);
    assert.deepEqual((await runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': 'uid-sandbox' } })).map((s) => s.id), [id]);
    await runtime.stopPodSandbox(id);
    assert.equal((await runtime.podSandboxStatus(id)).state, 'SANDBOX_NOTREADY');
    assert.deepEqual((await runtime.listPodSandbox({ state: 'SANDBOX_READY', labelSelector: { 'io.kubernetes.pod.uid': 'uid-sandbox' } })).length, 0);
    await runtime.removePodSandbox(id);
    await assert.rejects(runtime.podSandboxStatus(id), isNotFound);
  });

  it('creates, starts, stops and removes a container, with its state at every step', async () => {
    const { runtime, sandbox, container } = setup();
    const sandboxConfig = sandbox('suite-run', 'uid-run');
    const sandboxId = await runtime.runPodSandbox(sandboxConfig);
    try {
      const config = container('app', {});
      config.labels = { ...config.labels, 'io.kubernetes.pod.uid': 'uid-run' };
      const id = await runtime.createContainer(sandboxId, config, sandboxConfig);
      assert.equal((await runtime.containerStatus(id)).state, 'CONTAINER_CREATED');
      await runtime.startContainer(id);
      const running = await runtime.containerStatus(id);
      assert.equal(running.state, 'CONTAINER_RUNNING');
      assert.ok(running.startedAt > 0n);
      assert.deepEqual(running.metadata, config.metadata);
      assert.ok(running.imageRef, 'imageRef set');
      const listed = await runtime.listContainers({ podSandboxId: sandboxId, state: 'CONTAINER_RUNNING' });
      assert.deepEqual(listed.map((c) => c.id), [id]);
      assert.deepEqual(await runtime.listContainers({ labelSelector: { 'io.kubernetes.container.name': 'app', 'io.kubernetes.pod.uid': 'uid-run' } }).then((l) => l.map((c) => c.id)), [id]);
      const exec = await runtime.execSync(id, ['true'], 5);
      assert.equal(exec.exitCode, 0);
      await runtime.stopContainer(id, 0);
      const stopped = await runtime.containerStatus(id);
      assert.equal(stopped.state, 'CONTAINER_EXITED');
      assert.ok(stopped.finishedAt > 0n);
      await runtime.removeContainer(id);
      await assert.rejects(runtime.containerStatus(id), isNotFound);
    } finally {
      await runtime.stopPodSandbox(sandboxId);
      await runtime.removePodSandbox(sandboxId);
    }
  });

  it('reports a container that exits by itself with its exit code', async () => {
    const { runtime, sandbox, container } = setup();
    const sandboxConfig = sandbox('suite-exit', 'uid-exit');
    const sandboxId = await runtime.runPodSandbox(sandboxConfig);
    try {
      const id = await runtime.createContainer(sandboxId, container('exits', { exitCode: 3 }), sandboxConfig);
      await runtime.startContainer(id);
      const exited = await waitFor('the exit', async () => {
        const s = await runtime.containerStatus(id);
        return s.state === 'CONTAINER_EXITED' ? s : undefined;
      });
      assert.equal(exited.exitCode, 3);
      assert.equal(exited.reason, 'Error');
      await assert.rejects(runtime.execSync(id, ['true'], 5));
      await runtime.removeContainer(id);
    } finally {
      await runtime.stopPodSandbox(sandboxId);
      await runtime.removePodSandbox(sandboxId);
    }
  });

  it('answers NotFound for ids it does not know, and no image for names it lacks', async () => {
    const { runtime, image } = setup();
    await assert.rejects(runtime.containerStatus('0123456789abcdef'), isNotFound);
    await assert.rejects(runtime.podSandboxStatus('0123456789abcdef'), isNotFound);
    assert.equal(await runtime.imageStatus({ image: 'docker.io/library/not-here:1' }), undefined);
    const found = await runtime.imageStatus({ image });
    assert.ok(found?.id);
    assert.ok((await runtime.listImages()).some((i) => i.id === found.id && i.repoTags.includes(image)));
  });
}
