import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError, type PodSandboxConfig } from './runtime.ts';
import { SimulatedRuntime } from './runtime-simulated.ts';
import { runtimeConformance } from '../../test/support/runtime-suite.ts';

const sandboxConfig: PodSandboxConfig = { metadata: { name: 'web', uid: 'u1', namespace: 'default', attempt: 0 }, labels: { app: 'web' } };

void describe('SimulatedRuntime', () => {
  void it('runs a sandbox and its containers through their CRI states', async () => {
    const released: string[] = [];
    const rt = new SimulatedRuntime({ allocateIPs: () => ['10.244.1.5'], releaseIPs: (c) => released.push(c.metadata.uid) });
    assert.equal((await rt.version()).runtimeApiVersion, 'v1');
    const sandbox = await rt.runPodSandbox(sandboxConfig);
    assert.equal((await rt.podSandboxStatus(sandbox)).network?.ip, '10.244.1.5');
    const config = { metadata: { name: 'nginx', attempt: 0 }, image: { image: 'nginx:latest' } };
    await assert.rejects(rt.createContainer(sandbox, config, sandboxConfig), (e: unknown) => e instanceof RuntimeError && e.code === 'NotFound', 'an image must be pulled first');
    const ref = await rt.pullImage({ image: 'nginx:latest' });
    assert.match(ref, /^sha256:[0-9a-f]{64}$/);
    const id = await rt.createContainer(sandbox, config, sandboxConfig);
    assert.equal((await rt.containerStatus(id)).state, 'CONTAINER_CREATED');
    await rt.startContainer(id);
    await assert.rejects(rt.startContainer(id), (e: unknown) => e instanceof RuntimeError && e.code === 'FailedPrecondition');
    assert.equal((await rt.listContainers({ state: 'CONTAINER_RUNNING' })).length, 1);
    await rt.stopContainer(id, 30);
    const stopped = await rt.containerStatus(id);
    assert.deepEqual([stopped.state, stopped.exitCode, stopped.reason], ['CONTAINER_EXITED', 0, 'Completed']);
    await rt.stopPodSandbox(sandbox);
    assert.deepEqual(released, ['u1']);
    assert.equal((await rt.listPodSandbox({ state: 'SANDBOX_NOTREADY', labelSelector: { app: 'web' } })).length, 1);
    await rt.removePodSandbox(sandbox);
    await rt.removePodSandbox(sandbox); // idempotent
    assert.deepEqual(await rt.listContainers(), []);
    await assert.rejects(rt.containerStatus(id), (e: unknown) => e instanceof RuntimeError && e.code === 'NotFound');
    await rt.close();
  });

  void it('lets containers exit by themselves and images fail to pull', async () => {
    const rt = new SimulatedRuntime({ behaviour: () => ({ exitAfterMs: 5, exitCode: 3 }), unpullable: (i) => i.startsWith('unreachable.example/') });
    await assert.rejects(rt.pullImage({ image: 'unreachable.example/app:1' }), /failed to pull/);
    await rt.pullImage({ image: 'busybox' });
    const sandbox = await rt.runPodSandbox(sandboxConfig);
    const id = await rt.createContainer(sandbox, { metadata: { name: 'job', attempt: 0 }, image: { image: 'busybox' } }, sandboxConfig);
    await rt.startContainer(id);
    await sleep(30);
    const status = await rt.containerStatus(id);
    assert.deepEqual([status.state, status.exitCode, status.reason], ['CONTAINER_EXITED', 3, 'Error']);
    await rt.close();
  });
});

void describe('SimulatedRuntime: the shared runtime suite', () => {
  const runtime = new SimulatedRuntime({ behaviour: (c) => (c.labels?.['suite/exit-code'] ? { exitAfterMs: 10, exitCode: Number(c.labels['suite/exit-code']) } : {}) });
  void runtime.pullImage({ image: 'docker.io/library/busybox:latest' });
  runtimeConformance(() => ({
    runtime,
    image: 'docker.io/library/busybox:latest',
    sandbox: (name, uid) => ({ metadata: { name, uid, namespace: 'default', attempt: 0 } }),
    container: (name, { exitCode }) => ({
      metadata: { name, attempt: 0 },
      image: { image: 'docker.io/library/busybox:latest' },
      command: ['sh', '-c', exitCode === undefined ? 'sleep 3600' : `exit ${exitCode}`],
      ...(exitCode === undefined ? {} : { labels: { 'suite/exit-code': String(exitCode) } }),
    }),
  }));
});
