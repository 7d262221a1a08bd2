// An image's file tree, collected in any order and written as a deterministic layer: entries sorted by path,
// every parent directory present before its children.
import type { ArchiveEntry } from '../kubelet/containerd-images.ts';

export class Rootfs {
  readonly #entries = new Map<string, ArchiveEntry>();

  dir(path: string, mode = 0o755): this {
    return this.#put({ path: clean(path), type: 'dir', mode });
  }

  file(path: string, data: Uint8Array | string, mode = 0o644): this {
    return this.#put({ path: clean(path), type: 'file', mode, data: typeof data === 'string' ? Buffer.from(data) : data });
  }

  symlink(path: string, target: string): this {
    return this.#put({ path: clean(path), type: 'symlink', mode: 0o777, target });
  }

  has(path: string): boolean {
    return this.#entries.has(clean(path));
  }

  get(path: string): ArchiveEntry | undefined {
    return this.#entries.get(clean(path));
  }

  /** The layer's entries: sorted, with missing parent directories added (mode 0755). */
  entries(): ArchiveEntry[] {
    const all = new Map(this.#entries);
    for (const p of this.#entries.keys()) {
      for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) {
        const parent = p.slice(0, i);
        const existing = all.get(parent);
        if (existing && existing.type !== 'dir') throw new RootfsError(`${p} is below ${parent}, which is a ${existing.type}`);
        if (!existing) all.set(parent, { path: parent, type: 'dir', mode: 0o755 });
      }
    }
    return [...all.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  #put(entry: ArchiveEntry): this {
    if (!entry.path) throw new RootfsError('empty path');
    const existing = this.#entries.get(entry.path);
    if (existing && !(existing.type === 'dir' && entry.type === 'dir')) throw new RootfsError(`${entry.path} is added twice`);
    this.#entries.set(entry.path, entry);
    return this;
  }
}

export class RootfsError extends Error {
  override name = 'RootfsError';
}

function clean(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  gecos?: string;
}

export function passwdFile(accounts: Account[]): string {
  return accounts.map((a) => `${a.name}:x:${a.uid}:${a.gid}:${a.gecos ?? a.name}:${a.home}:${a.shell}\n`).join('');
}

export function groupFile(groups: { name: string; gid: number }[]): string {
  return groups.map((g) => `${g.name}:x:${g.gid}:\n`).join('');
}

/** The PATH upstream's Debian- and busybox-based images set. */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
