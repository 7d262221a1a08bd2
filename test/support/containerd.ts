// Skiff's own containerd in a temporary data dir, with the sandbox (pause) and busybox images, for end-to-end tests
// of the CRI runtime. stop() removes every sandbox left, stops containerd and deletes the data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SANDBOX_IMAGE } from '../../src/kubelet/containerd-config.ts';
import { importImageArchive, pauseImageArchive } from '../../src/kubelet/containerd-images.ts';
import { ContainerdSupervisor } from '../../src/kubelet/containerd.ts';
import { CriRuntime } from '../../src/kubelet/runtime-cri.ts';
import { ensureBuiltinImages } from '../../src/registry/ensure.ts';

export interface TestContainerd {
  dataDir: string;
  supervisor: ContainerdSupervisor;
  runtime: CriRuntime;
  stop(): Promise<void>;
}

export async function startTestContainerd(prefix: string): Promise<TestContainerd> {
  const stopping = new AbortController();
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  const supervisor = new ContainerdSupervisor({ dataDir, stopGraceMs: 5000 });
  await supervisor.start(stopping.signal);
  await importImageArchive(supervisor.paths.socket, pauseImageArchive(DEFAULT_SANDBOX_IMAGE));
  await ensureBuiltinImages({ dataDir, endpoint: supervisor.paths.socket, images: ['busybox'] });
  const runtime = new CriRuntime({ endpoint: supervisor.endpoint, timeoutMs: 20_000 });
  return {
    dataDir,
    supervisor,
    runtime,
    async stop() {
      for (const s of await runtime.listPodSandbox().catch(() => [])) {
        await runtime.stopPodSandbox(s.id).catch(() => {});
        await runtime.removePodSandbox(s.id).catch(() => {});
      }
      await runtime.close();
      stopping.abort();
      await supervisor.stopped();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
