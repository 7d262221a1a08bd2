// `kubectl cp <src> <dest>` with one side `[[namespace/]pod:]path`: through `tar` in the container over exec, as
// kubectl 1.35 does. To the pod: `test -d` decides whether the destination is a directory, then the local files
// go as a tar stream into `tar -xmf - -C <dir>`. From the pod: `tar cf - <path>` is unpacked locally (what the
// container's tar says on stderr, like "removing leading '/'", appears on stdout as with kubectl); symbolic links
// and anything outside the destination are skipped with a warning.
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { bool, str } from '../flags.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { runExec } from './exec.ts';

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

async function getPod(session: Session, namespace: string, name: string): Promise<Pod> {
  return session.rest().json<Pod>({ path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}` });
}

/** Names for uids and gids, as Go's archive/tar looks them up for headers. */
function idNames(file: string): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name);
    }
  } catch {
    // no names
  }
  return names;
}

/** kubectl's makeTar/recursiveTar: files under `src` named as under `dest` (only empty directories get entries). */
async function* tarStream(src: string, dest: string): AsyncGenerator<Buffer> {
  const { encodeArchiveEnd, encodeFileEnd, encodeHeader } = await import('../stream/tar.ts');
  const { base, clean, join } = await import('../stream/cppaths.ts');
  const users = idNames('/etc/passwd');
  const groups = idNames('/etc/group');
  const header = (st: Stats, name: string, type: string, size: number, linkname = '') =>
    encodeHeader({
      name,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size,
      mtime: Math.round(st.mtimeMs / 1000),
      type,
      linkname,
      uname: users.get(st.uid) ?? '',
      gname: groups.get(st.gid) ?? '',
    });
  async function* walk(local: string, remote: string): AsyncGenerator<Buffer> {
    const st = lstatSync(local);
    if (st.isDirectory()) {
      const entries = readdirSync(local).sort();
      if (entries.length === 0) yield header(st, remote, '5', 0);
      for (const e of entries) yield* walk(path.join(local, e), join(remote, e));
    } else if (st.isSymbolicLink()) {
      yield header(st, remote, '2', 0, readlinkSync(local));
    } else if (st.isFile()) {
      yield header(st, remote, '0', st.size);
      const fd = openSync(local, 'r');
      try {
        const buffer = Buffer.alloc(64 * 1024);
        let left = st.size;
        while (left > 0) {
          const n = readSync(fd, buffer, 0, Math.min(buffer.length, left), null);
          if (n === 0) break;
          left -= n;
          yield Buffer.from(buffer.subarray(0, n));
        }
      } finally {
        closeSync(fd);
      }
      yield encodeFileEnd(st.size);
    }
  }
  yield* walk(clean(src), base(clean(dest)));
  yield encodeArchiveEnd();
}

export const cpCommand: KubectlCommand = {
  flags: [
    { name: 'container', short: 'c', type: 'string' },
    { name: 'no-preserve', type: 'bool' },
    { name: 'retries', type: 'int' },
  ],
  async run(session, args) {
    const { extractFileSpec } = await import('../stream/cppaths.ts');
    const { reportStreamError } = await import('../stream/executor.ts');
    const fail = (message: string) => {
      session.io.stderr(`error: ${message}\n`);
      return 1;
    };
    if (args.length !== 2) return fail('source and destination are required');
    let src, dest;
    try {
      src = extractFileSpec(args[0]!);
      dest = extractFileSpec(args[1]!);
    } catch (err) {
      return fail((err as Error).message);
    }
    if (src.remote && dest.remote) return fail('one of src or dest must be a local file specification');
    if (!src.file || !dest.file) return fail('filepath can not be empty');
    const container = str(session.flags, 'container') ?? '';
    try {
      if (src.remote) return await copyFromPod(session, src.podNamespace || session.namespace, src.podName, src.file, dest.file, container);
      if (dest.remote) return await copyToPod(session, src.file, dest.podNamespace || session.namespace, dest.podName, dest.file, container);
    } catch (err) {
      return reportStreamError(session, err);
    }
    return fail('one of src or dest must be a remote file specification');
  },
};

async function copyToPod(session: Session, src: string, namespace: string, podName: string, destFile: string, container: string): Promise<number> {
  const { base, dir, join } = await import('../stream/cppaths.ts');
  if (!existsSync(src)) {
    session.io.stderr(`error: ${src} doesn't exist in local filesystem\n`);
    return 1;
  }
  let target = destFile;
  // Is the destination a directory? Any failure here (even a missing pod) means no; the copy itself then reports it.
  try {
    const pod = await getPod(session, namespace, podName);
    await runExec(session, { pod, container, command: ['test', '-d', destFile], stdin: false, tty: false, quiet: false, stdout: discard(), stderr: discard() });
    target = join(destFile, base(src));
  } catch {
    // not a directory
  }
  const command = bool(session.flags, 'no-preserve') ? ['tar', '--no-same-permissions', '--no-same-owner', '-xmf', '-'] : ['tar', '-xmf', '-'];
  const targetDir = dir(target);
  if (targetDir) command.push('-C', targetDir);
  const pod = await getPod(session, namespace, podName);
  const input = Readable.from(tarStream(src, target));
  await runExecWithInput(session, pod, container, command, input);
  return 0;
}

/** An exec whose stdin is a stream of ours, not the terminal. */
async function runExecWithInput(session: Session, pod: Pod, container: string, command: string[], input: Readable): Promise<void> {
  const { execute } = await import('../stream/executor.ts');
  const { findOrDefaultContainer, PodSelectionError } = await import('../stream/pods.ts');
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw new PodSelectionError(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  const name = container || findOrDefaultContainer(pod, undefined, false, (t) => session.io.stderr(t)).name;
  const query: Array<[string, string]> = [...command.map((c): [string, string] => ['command', c]), ['container', name], ['stderr', 'true'], ['stdin', 'true'], ['stdout', 'true']];
  const ns = encodeURIComponent(pod.metadata?.namespace ?? '');
  await execute(
    { config: session.config(), path: `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(pod.metadata?.name ?? '')}/exec`, query, command: 'exec' },
    { stdin: input, stdout: process.stdout, stderr: process.stderr, tty: false },
  );
}

async function copyFromPod(session: Session, namespace: string, podName: string, srcFile: string, dest: string, container: string): Promise<number> {
  const { TarExtractor } = await import('../stream/tar.ts');
  const { clean, isRelative, join, remotePath, stripLeadingSlash, stripPathShortcuts } = await import('../stream/cppaths.ts');
  const prefix = stripPathShortcuts(clean(stripLeadingSlash(srcFile)));
  let symlinkWarned = false;
  let failure: Error | undefined;
  const extractor = new TarExtractor((header) => {
    if (!header.name.startsWith(prefix)) throw new Error('tar contents corrupted');
    const destName = join(dest, remotePath(header.name.slice(prefix.length))) || '.';
    if (!isRelative(dest, destName)) {
      session.io.stderr(`warning: file ${JSON.stringify(destName)} is outside target destination, skipping\n`);
      return undefined;
    }
    mkdirSync(path.dirname(destName), { recursive: true, mode: 0o755 });
    if (header.type === '5') {
      mkdirSync(destName, { recursive: true, mode: 0o755 });
      return undefined;
    }
    if (header.type === '2') {
      if (!symlinkWarned) {
        symlinkWarned = true;
        session.io.stderr(
          `warning: skipping symlink: ${JSON.stringify(destName)} -> ${JSON.stringify(header.linkname)} (consider using "kubectl exec -n ${JSON.stringify(namespace)} ${JSON.stringify(podName)} -- tar cf - ${JSON.stringify(srcFile)} | tar xf -")\n`,
        );
      } else session.io.stderr(`warning: skipping symlink: ${JSON.stringify(destName)} -> ${JSON.stringify(header.linkname)}\n`);
      return undefined;
    }
    const fd = openSync(destName, 'w', 0o666);
    return {
      write: (data) => void writeSync(fd, data),
      end: () => closeSync(fd),
    };
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!failure) {
        try {
          extractor.write(chunk);
        } catch (err) {
          failure = err as Error;
        }
      }
      callback();
    },
  });
  const pod = await getPod(session, namespace, podName);
  const maxTries = Number(str(session.flags, 'retries') ?? '0');
  let bytesRead = 0;
  let retries = 0;
  const counted = new Writable({
    write(chunk: Buffer, encoding, callback) {
      bytesRead += chunk.length;
      sink.write(chunk, encoding, callback);
    },
  });
  let command = ['tar', 'cf', '-', srcFile];
  for (;;) {
    if (maxTries !== 0) command = ['sh', '-c', `tar cf - ${srcFile} | tail -c+${bytesRead === 0 ? 0 : bytesRead + 1}`];
    await runExec(session, { pod, container, command, stdin: false, tty: false, quiet: false, stdout: counted, stderr: process.stdout });
    if (failure || extractor.done || maxTries === 0) break;
    if (maxTries > 0 && retries >= maxTries) {
      session.io.stdout(`Dropping out copy after ${retries} retries\n`);
      break;
    }
    retries++;
    session.io.stdout(`Resuming copy at ${bytesRead} bytes, retry ${retries}/${maxTries}\n`);
  }
  if (!failure) {
    try {
      extractor.end();
    } catch (err) {
      failure = err as Error;
    }
  }
  if (failure) {
    session.io.stderr(`error: ${failure.message}\n`);
    return 1;
  }
  return 0;
}
