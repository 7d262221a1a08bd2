// The shared runtime suite (test/support/runtime-suite.ts) against containerd through CRI: Skiff's own containerd
// in a temporary data dir, the built-in busybox image, host-network sandboxes (no CNI needed).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { DEFAULT_SANDBOX_IMAGE } from '../../src/kubelet/containerd-config.ts';
import { importImageArchive, pauseImageArchive } from '../../src/kubelet/containerd-images.ts';
import { ContainerdSupervisor } from '../../src/kubelet/containerd.ts';
import { CriRuntime } from '../../src/kubelet/runtime-cri.ts';
import { ensureBuiltinImages } from '../../src/registry/ensure.ts';
import { runtimeConformance } from '../support/runtime-suite.ts';

const BUSYBOX = 'docker.io/library/busybox:latest';

describe('CriRuntime on containerd: the shared runtime suite', { skip: process.getuid?.() !== 0 && 'containerd needs root' }, () => {
  const stop = new AbortController();
  let dataDir: string;
  let supervisor: ContainerdSupervisor;
  let runtime: CriRuntime;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sk-rt-'));
    supervisor = new ContainerdSupervisor({ dataDir, stopGraceMs: 5000 });
    await supervisor.start(stop.signal);
    await importImageArchive(supervisor.paths.socket, pauseImageArchive(DEFAULT_SANDBOX_IMAGE));
    await ensureBuiltinImages({ dataDir, endpoint: supervisor.paths.socket, images: ['busybox'] });
    runtime = new CriRuntime({ endpoint: supervisor.endpoint, timeoutMs: 20_000 });
  });

  after(async () => {
    for (const s of (await runtime?.listPodSandbox().catch(() => [])) ?? []) {
      await runtime.stopPodSandbox(s.id).catch(() => {});
      await runtime.removePodSandbox(s.id).catch(() => {});
    }
    await runtime?.close();
    stop.abort();
    await supervisor?.stopped();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  runtimeConformance(() => ({
    runtime,
    image: BUSYBOX,
    sandbox: (name, uid) => {
      const logDirectory = path.join(dataDir, 'logs', uid);
      mkdirSync(logDirectory, { recursive: true });
      return { metadata: { name, uid, namespace: 'default', attempt: 0 }, logDirectory, linux: { namespaceOptions: { network: 'NODE' } } };
    },
    container: (name, { exitCode }) => ({
      metadata: { name, attempt: 0 },
      image: { image: BUSYBOX },
      command: ['sh', '-c', exitCode === undefined ? 'exec sleep 3600' : `exit ${exitCode}`],
      logPath: `${name}.log`,
    }),
  }));
});
