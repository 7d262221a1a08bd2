// `skiff image`: import image archives into the node's containerd, list its images, build the built-in ones.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type CliIO, type Command } from './command.ts';
import { usageErrorFrom } from './server-flags.ts';

export const IMAGE_USAGE = `Manage the images of this node's containerd (the CRI plugin's k8s.io namespace).

Usage:
  skiff image import FILE... [flags]   import image archives: an OCI image layout or a docker save tar
                                       (optionally gzipped); prints the references imported
  skiff image ls [flags]               list images, as crictl images does
  skiff image build [NAME...] [flags]  build the built-in images offline from Debian packages (nginx,
                                       busybox; default both), cached under <data-dir>/images, and
                                       import them

Flags:
  -d, --data-dir DIR                      Skiff's data dir, whose containerd is used
                                          (default /var/lib/skiff as root, ~/.skiff otherwise)
      --container-runtime-endpoint URL    another containerd's socket, e.g.
                                          unix:///run/containerd/containerd.sock
      --no-import                         build: only build the archives
  -h, --help                              help for image
`;

const OPTIONS = {
  'data-dir': { type: 'string', short: 'd' },
  'container-runtime-endpoint': { type: 'string' },
  'no-import': { type: 'boolean' },
} as const;

export interface ImageFlags {
  subcommand: 'import' | 'ls' | 'build';
  args: string[];
  dataDir: string;
  /** unix:///path of containerd's socket. */
  endpoint: string;
  /** Whether the endpoint was given, not derived from the data dir. */
  endpointGiven: boolean;
  noImport: boolean;
}

export interface ImageEnvironment {
  isRoot: boolean;
  homeDir: string;
  cwd: string;
}

export function parseImageFlags(argv: string[], env: ImageEnvironment): ImageFlags {
  let parsed: { values: { [K in keyof typeof OPTIONS]?: string | boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    throw usageErrorFrom(err);
  }
  const [subcommand, ...args] = parsed.positionals;
  if (subcommand === undefined) throw new UsageError('missing subcommand: import, ls or build');
  if (subcommand !== 'import' && subcommand !== 'ls' && subcommand !== 'build') {
    throw new UsageError(`unknown subcommand "${subcommand}": want import, ls or build`);
  }
  if (subcommand === 'import' && !args.length) throw new UsageError('import needs at least one FILE');
  if (subcommand === 'ls' && args.length) throw new UsageError(`unexpected argument ${args[0]}`);
  const { values } = parsed;
  if (values['no-import'] && subcommand !== 'build') throw new UsageError('--no-import goes with build only');
  const dataDir = resolve(env.cwd, (values['data-dir'] as string | undefined) ?? (env.isRoot ? '/var/lib/skiff' : join(env.homeDir, '.skiff')));
  const given = values['container-runtime-endpoint'] as string | undefined;
  if (given !== undefined && !given.startsWith('unix:///') && !given.startsWith('/')) {
    throw new UsageError(`invalid argument "${given}" for "--container-runtime-endpoint": want unix:///path/to/containerd.sock`);
  }
  const endpoint = given === undefined ? `unix://${join(dataDir, 'containerd', 'containerd.sock')}` : given.startsWith('/') ? `unix://${given}` : given;
  return { subcommand, args, dataDir, endpoint, endpointGiven: given !== undefined, noImport: values['no-import'] === true };
}

export class ContainerdNotRunningError extends Error {
  override name = 'ContainerdNotRunningError';
}

/** Fails with what to do when nothing answers CRI on the endpoint. */
async function checkContainerd(flags: ImageFlags): Promise<void> {
  const { CriClient } = await import('../kubelet/cri/client.ts');
  const socket = flags.endpoint.slice('unix://'.length);
  const advice = flags.endpointGiven
    ? 'is containerd running there?'
    : 'start it with `skiff up`, or pass --container-runtime-endpoint unix:///path/to/containerd.sock to use another containerd';
  if (!existsSync(socket)) throw new ContainerdNotRunningError(`containerd is not running: no socket at ${socket}; ${advice}`);
  const client = new CriClient({ endpoint: flags.endpoint, timeoutMs: 5000 });
  try {
    await client.version();
  } catch (err) {
    throw new ContainerdNotRunningError(`containerd does not answer at ${socket} (${(err as Error).message}); ${advice}`, { cause: err });
  } finally {
    client.close();
  }
}

async function runImport(flags: ImageFlags, io: CliIO): Promise<number> {
  const { importImageFile } = await import('../registry/import.ts');
  const { ImageArchiveError, inspectImageArchive, isGzip } = await import('../registry/archive.ts');
  // A missing or wrong file is reported before containerd is asked anything.
  for (const file of flags.args) {
    const path = resolve(file);
    if (!existsSync(path)) throw new ImageArchiveError(`${file}: no such file`);
    if (!isGzip(path)) inspectImageArchive(path);
  }
  await checkContainerd(flags);
  const socket = flags.endpoint.slice('unix://'.length);
  for (const file of flags.args) {
    const imported = await importImageFile(socket, resolve(file));
    if (!imported.references.length) io.stderr(`skiff image import: ${file} was imported, but it names no image\n`);
    for (const ref of imported.references) io.stdout(`${ref}\n`);
  }
  return 0;
}

async function runList(flags: ImageFlags, io: CliIO): Promise<number> {
  await checkContainerd(flags);
  const { CriClient } = await import('../kubelet/cri/client.ts');
  const { imageTable } = await import('../registry/list.ts');
  const client = new CriClient({ endpoint: flags.endpoint, timeoutMs: 30_000 });
  try {
    io.stdout(imageTable(await client.listImages()));
  } finally {
    client.close();
  }
  return 0;
}

async function runBuild(flags: ImageFlags, io: CliIO): Promise<number> {
  const { BUILTIN_RECIPES, buildImage, recipeFor } = await import('../registry/build.ts');
  const { importImageArchive } = await import('../kubelet/containerd-images.ts');
  const recipes = flags.args.length ? [...new Set(flags.args.map((a) => recipeFor(a)))] : BUILTIN_RECIPES;
  if (!flags.noImport) await checkContainerd(flags);
  for (const recipe of recipes) {
    const started = performance.now();
    const image = await buildImage(recipe, { dataDir: flags.dataDir });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    io.stdout(`${recipe.name}: ${image.built ? `built in ${seconds}s` : 'up to date'}: ${image.archive}\n`);
    if (flags.noImport) continue;
    const names = await importImageArchive(flags.endpoint.slice('unix://'.length), image.archive);
    io.stdout(`${recipe.name}: imported ${names.join(', ')}\n`);
  }
  return 0;
}

export const imageCommand: Command = {
  name: 'image',
  summary: "Import, list and build the node's container images",
  usage: IMAGE_USAGE,
  async run(args, io) {
    const flags = parseImageFlags(args, { isRoot: process.getuid?.() === 0, homeDir: homedir(), cwd: process.cwd() });
    switch (flags.subcommand) {
      case 'import':
        return runImport(flags, io);
      case 'ls':
        return runList(flags, io);
      case 'build':
        return runBuild(flags, io);
    }
  },
};
