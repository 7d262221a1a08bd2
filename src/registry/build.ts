// Built-in images, built offline from Debian packages and cached under <data-dir>/images/: one OCI archive per
// image, named by a hash of the recipe and its inputs (package versions), so an unchanged host builds nothing twice.
// <name>.json records the last build, which lets callers find the archive without asking apt or dpkg again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ociImageArchive } from '../kubelet/containerd-images.ts';
import { busyboxRecipe } from './busybox.ts';
import { nginxRecipe } from './nginx.ts';
import type { ImageRecipe } from './recipe.ts';
import { parseReference } from './reference.ts';

export const BUILTIN_RECIPES: readonly ImageRecipe[] = [busyboxRecipe, nginxRecipe];

/** The references every built-in image has whatever the package versions: docker.io/library/<name>:latest. */
export const BUILTIN_IMAGES: Readonly<Record<string, string>> = Object.fromEntries(BUILTIN_RECIPES.map((r) => [r.name, `${r.repository}:latest`]));

export class UnknownBuiltinImageError extends Error {
  override name = 'UnknownBuiltinImageError';
}

export interface BuiltImage {
  /** Short name: busybox, nginx. */
  name: string;
  /** e.g. docker.io/library/nginx:latest, docker.io/library/nginx:1.22.1. */
  references: string[];
  /** The OCI image archive. */
  archive: string;
  key: string;
  /** false: the archive was already in the cache. */
  built: boolean;
}

interface BuildRecord {
  recipeVersion: number;
  key: string;
  references: string[];
  archive: string;
  inputs: Record<string, string>;
}

export const imageCacheDir = (dataDir: string) => path.join(path.resolve(dataDir), 'images');

/** The recipe by short name (nginx) or by any reference to its repository (nginx:1.22.1, docker.io/library/nginx). */
export function recipeFor(name: string, recipes: readonly ImageRecipe[] = BUILTIN_RECIPES): ImageRecipe {
  let repository: string | undefined;
  try {
    repository = parseReference(name).repository;
  } catch {
    // not a reference: only short names can match
  }
  const recipe = recipes.find((r) => r.name === name || r.repository === repository);
  if (!recipe) throw new UnknownBuiltinImageError(`no built-in image ${JSON.stringify(name)}; Skiff builds ${recipes.map((r) => r.name).join(' and ')}`);
  return recipe;
}

/** The cache key: the recipe, its version, the architecture and every input. */
export function cacheKey(recipe: ImageRecipe, inputs: Record<string, string>, arch = process.arch): string {
  const sorted = Object.keys(inputs)
    .sort()
    .map((k) => [k, inputs[k]]);
  return createHash('sha256')
    .update(JSON.stringify({ recipe: recipe.name, recipeVersion: recipe.recipeVersion, arch, inputs: sorted }))
    .digest('hex');
}

const recordPath = (dir: string, name: string) => path.join(dir, `${name}.json`);
const archiveName = (name: string, key: string) => `${name}-${key.slice(0, 16)}.tar`;

/** The last build by this recipe version whose archive is still in the cache, without looking at the host's packages. */
export function lastBuild(recipe: ImageRecipe, dataDir: string): BuiltImage | undefined {
  const dir = imageCacheDir(dataDir);
  let record: BuildRecord;
  try {
    record = JSON.parse(readFileSync(recordPath(dir, recipe.name), 'utf8')) as BuildRecord;
  } catch {
    return undefined;
  }
  const archive = path.join(dir, path.basename(String(record.archive)));
  // A newer Skiff's recipe builds something else: the record is of no use.
  if (record.recipeVersion !== recipe.recipeVersion || typeof record.key !== 'string' || !Array.isArray(record.references) || !existsSync(archive)) return undefined;
  return { name: recipe.name, references: record.references, archive, key: record.key, built: false };
}

export interface BuildOptions {
  dataDir: string;
  signal?: AbortSignal;
}

/** Builds the image unless an archive with the same inputs is cached; resolving the inputs may download .deb files. */
export async function buildImage(recipe: ImageRecipe, options: BuildOptions): Promise<BuiltImage> {
  const dir = imageCacheDir(options.dataDir);
  mkdirSync(dir, { recursive: true });
  const resolved = await recipe.resolve({ debDir: path.join(dir, 'debs'), ...(options.signal && { signal: options.signal }) });
  const key = cacheKey(recipe, resolved.inputs);
  const archive = path.join(dir, archiveName(recipe.name, key));
  const references = [...new Set([`${recipe.repository}:latest`, `${recipe.repository}:${resolved.version}`])];
  const record: BuildRecord = { recipeVersion: recipe.recipeVersion, key, references, archive: path.basename(archive), inputs: resolved.inputs };
  if (existsSync(archive)) {
    writeAtomically(recordPath(dir, recipe.name), `${JSON.stringify(record, null, 2)}\n`);
    return { name: recipe.name, references, archive, key, built: false };
  }
  const { rootfs, ...config } = await resolved.build(options.signal);
  const [name, ...additionalNames] = references;
  writeAtomically(archive, ociImageArchive({ ...config, name: name!, additionalNames, layer: rootfs.entries() }));
  writeAtomically(recordPath(dir, recipe.name), `${JSON.stringify(record, null, 2)}\n`);
  // Archives of earlier inputs are not used again.
  for (const f of readdirSync(dir)) {
    if (f !== path.basename(archive) && f.startsWith(`${recipe.name}-`) && f.endsWith('.tar')) rmSync(path.join(dir, f), { force: true });
  }
  return { name: recipe.name, references, archive, key, built: true };
}

function writeAtomically(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}
