// Finds the nfnl-send helper (nfnl-send.c), compiling it into dist/ with the machine's C compiler the first time, or
// when the source is newer, and runs it. Resolves null when it cannot be had — no compiler, an unwritable dist/, or
// SKIFF_NFT_NETLINK=0 — and the nftables mode then writes elements as `nft` text (slower, same result).
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SOURCE = fileURLToPath(new URL('./nfnl-send.c', import.meta.url));
const BINARY = fileURLToPath(new URL('../../dist/nfnl-send', import.meta.url));

let found: Promise<string | null> | undefined;

/** The helper's path, or null (with a process warning saying why). Looked for once per process. */
export function netlinkSender(): Promise<string | null> {
  if (process.env['SKIFF_NFT_NETLINK'] === '0') return Promise.resolve(null);
  return (found ??= find());
}

async function find(): Promise<string | null> {
  const [source, binary] = await Promise.all([stat(SOURCE).catch(() => undefined), stat(BINARY).catch(() => undefined)]);
  if (binary && (!source || binary.mtimeMs >= source.mtimeMs)) return BINARY;
  let why = `${SOURCE} is missing`;
  if (source) {
    try {
      await compile(SOURCE, BINARY);
      return BINARY;
    } catch (err) {
      why = `cannot compile ${SOURCE}: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  process.emitWarning(`nftables: ${why}; map elements are written with nft instead (slower; a C compiler helps: apt-get install gcc)`);
  return null;
}

/** Compiles the helper to `out` (written beside it first and renamed, so a running proxy never sees half a file). */
async function compile(source: string, out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    await promisify(execFile)(process.env['CC'] ?? 'cc', ['-O2', '-o', tmp, source]);
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * One running helper (in a network namespace, when given one), started on first use and kept: forking the proxy's
 * process for every sync costs ~10 ms once its heap is large. Batches go one at a time; each resolves with the
 * kernel's answers ("SEQ ERRNO MESSAGE" lines). The helper holds no reference on the event loop while idle, and
 * exits when this process does (its stdin closes).
 */
export class NetlinkSender {
  #child: ChildProcessWithoutNullStreams | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    readonly netns: string | undefined,
  ) {}

  send(batch: Buffer): Promise<string> {
    const run = this.#queue.then(() => this.#send(batch));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Ends the helper (it exits at the end of its input). */
  close(): void {
    this.#child?.stdin.end();
    this.#child = undefined;
  }

  #send(batch: Buffer): Promise<string> {
    const child = this.#start();
    return new Promise((resolve, reject) => {
      let out = '';
      let stderr = '';
      const finish = () => {
        child.stdout.off('data', onData);
        child.stderr.off('data', onStderr);
        child.off('exit', onExit);
        child.off('error', onError);
        setRef(child, false);
      };
      const onData = (b: Buffer) => {
        out += b.toString('utf8');
        if (out === 'end\n' || out.endsWith('\nend\n')) {
          finish();
          resolve(out.slice(0, -4));
        }
      };
      const onStderr = (b: Buffer) => {
        stderr = (stderr + b.toString('utf8')).slice(-2000);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        finish();
        reject(new Error(`nfnl-send exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
      };
      const onError = (err: Error) => {
        finish();
        reject(new Error(`nfnl-send: ${err.message}`));
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onStderr);
      child.on('exit', onExit);
      child.on('error', onError);
      setRef(child, true);
      const length = Buffer.alloc(4);
      if (littleEndian) length.writeUInt32LE(batch.length);
      else length.writeUInt32BE(batch.length);
      child.stdin.write(length);
      child.stdin.write(batch);
    });
  }

  /** Starts the helper now if it is not running (send starts it otherwise). */
  start(): void {
    this.#start();
  }

  #start(): ChildProcessWithoutNullStreams {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) return this.#child;
    const [file, args] = this.netns ? ['ip', ['netns', 'exec', this.netns, this.path]] : [this.path, []];
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {}); // a helper that died is reported through 'exit'
    child.on('error', () => {});
    child.on('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    this.#child = child;
    setRef(child, false);
    return child;
  }
}

const littleEndian = endianness() === 'LE';

/** Whether the helper keeps this process alive: only while a batch is in flight. */
function setRef(child: ChildProcessWithoutNullStreams, on: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as { ref(): void; unref(): void }[]) {
    if (on) handle.ref();
    else handle.unref();
  }
}
