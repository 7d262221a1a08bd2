// The shared runtime suite (test/support/runtime-suite.ts) against containerd through CRI: Skiff's own containerd
// in a temporary data dir, the built-in busybox image, host-network sandboxes (no CNI needed).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import type { CriRuntime } from '../../src/kubelet/runtime-cri.ts';
import { startTestContainerd, type TestContainerd } from '../support/containerd.ts';
import { runtimeConformance } from '../support/runtime-suite.ts';

const BUSYBOX = 'docker.io/library/busybox:latest';

describe('CriRuntime on containerd: the shared runtime suite', { skip: process.getuid?.() !== 0 && 'containerd needs root' }, () => {
  let containerd: TestContainerd;
  let dataDir: string;
  let runtime: CriRuntime;

  before(async () => {
    containerd = await startTestContainerd('sk-rt-');
    ({ dataDir, runtime } = containerd);
  });

  after(() => containerd?.stop());

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
