// `kubectl create`: the generators are in create-*.ts (create-generators.ts lists them).
import type { KubectlCommand } from '../main.ts';
import { generators } from './create-generators.ts';
import { createFromFiles } from './create-files.ts';

export const createCommand: KubectlCommand = {
  // Without a sub-verb, `create -f FILE` (in create-files.ts).
  flags: createFromFiles.flags,
  unsupported: createFromFiles.unsupported!,
  run: (session, args) => createFromFiles.run(session, args),
  runsWithoutSub: (args) => args.some((a) => a === '--filename' || a.startsWith('--filename=') || /^-R*f/.test(a)),
  sub: generators,
};
