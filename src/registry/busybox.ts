// docker.io/library/busybox from Debian's busybox-static: the binary in /bin with a symlink per applet, as in
// upstream's image (which uses hard links), root and nobody accounts, a world-writable /tmp, `sh` as the command.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { BUSYBOX_STATIC } from '../kubelet/containerd-images.ts';
import { installedVersions, MissingImageInputError, upstreamVersion } from './debian.ts';
import type { ImageContent, ImageRecipe, RecipeContext, ResolvedRecipe } from './recipe.ts';
import { DEFAULT_PATH_ENV, groupFile, passwdFile, Rootfs } from './rootfs.ts';

const run = promisify(execFile);

export const BUSYBOX_PACKAGE = 'busybox-static';

/** The applet names `busybox --list` prints, without busybox itself. */
export async function busyboxApplets(binary = BUSYBOX_STATIC, signal?: AbortSignal): Promise<string[]> {
  const { stdout } = await run(binary, ['--list'], signal ? { signal } : {});
  return stdout
    .split('\n')
    .map((a) => a.trim())
    .filter((a) => a && a !== 'busybox' && !a.includes('/'))
    .sort();
}

/** The busybox binary and its applets, installed into `rootfs` at `dir` (e.g. bin or usr/bin); taken paths are kept. */
export function addBusybox(rootfs: Rootfs, dir: string, binary: Uint8Array, applets: string[]): void {
  rootfs.file(`${dir}/busybox`, binary, 0o755);
  for (const applet of applets) if (!rootfs.has(`${dir}/${applet}`)) rootfs.symlink(`${dir}/${applet}`, 'busybox');
}

/** The busybox image's file tree. */
export function busyboxRootfs(binary: Uint8Array, applets: string[]): Rootfs {
  const rootfs = new Rootfs();
  for (const dir of ['dev', 'etc', 'home', 'proc', 'sys', 'usr/sbin', 'var/spool/mail', 'var/www']) rootfs.dir(dir);
  rootfs.dir('root', 0o700).dir('tmp', 0o1777);
  addBusybox(rootfs, 'bin', binary, applets);
  rootfs.file(
    'etc/passwd',
    passwdFile([
      { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' },
      { name: 'nobody', uid: 65534, gid: 65534, home: '/home', shell: '/bin/false' },
    ]),
  );
  rootfs.file('etc/group', groupFile([{ name: 'root', gid: 0 }, { name: 'nobody', gid: 65534 }]));
  return rootfs;
}

export function busyboxContent(binary: Uint8Array, applets: string[], version: string): ImageContent {
  return {
    rootfs: busyboxRootfs(binary, applets),
    cmd: ['sh'],
    env: [DEFAULT_PATH_ENV],
    createdBy: `skiff: busybox ${version} from Debian's ${BUSYBOX_PACKAGE}`,
  };
}

/** Debian's busybox-static, as installed on this host. */
export async function resolveBusyboxStatic(signal?: AbortSignal): Promise<{ version: string; binary: string }> {
  const version = (await installedVersions([BUSYBOX_PACKAGE], signal)).get(BUSYBOX_PACKAGE);
  if (!version || !existsSync(BUSYBOX_STATIC)) {
    throw new MissingImageInputError(`the busybox and nginx images are built from Debian's ${BUSYBOX_PACKAGE}, which is not installed: apt-get install ${BUSYBOX_PACKAGE}`);
  }
  return { version, binary: BUSYBOX_STATIC };
}

export const busyboxRecipe: ImageRecipe = {
  name: 'busybox',
  repository: 'docker.io/library/busybox',
  recipeVersion: 1,
  async resolve({ signal }: RecipeContext): Promise<ResolvedRecipe> {
    const busybox = await resolveBusyboxStatic(signal);
    return {
      inputs: { [BUSYBOX_PACKAGE]: busybox.version },
      version: upstreamVersion(busybox.version),
      async build(buildSignal) {
        const applets = await busyboxApplets(busybox.binary, buildSignal);
        return busyboxContent(readFileSync(busybox.binary), applets, busybox.version);
      },
    };
  },
};
