// The node agent's start: every built-in image containerd does not have yet is built (or taken from the cache) and
// imported. An image counts as present when containerd has its :latest reference — also when someone imported
// their own image under that name, which is then left alone. With everything present this is one CRI call.
import { importImageArchive } from '../kubelet/containerd-images.ts';
import { CriClient } from '../kubelet/cri/client.ts';
import { BUILTIN_RECIPES, buildImage, lastBuild, recipeFor } from './build.ts';
import type { ImageRecipe } from './recipe.ts';

export interface EnsureBuiltinImagesOptions {
  dataDir: string;
  /** containerd's socket: /path/containerd.sock or unix:///path/containerd.sock. */
  endpoint: string;
  /** Built-in images by name (busybox, nginx) or reference; default all. */
  images?: string[];
  signal?: AbortSignal;
}

export interface EnsuredImage {
  /** busybox, nginx */
  name: string;
  references: string[];
  /** present: containerd had the image already; imported: its archive was imported now. */
  action: 'present' | 'imported';
  /** The archive was built by this call rather than taken from the cache. */
  built: boolean;
  archive?: string;
}

/** What ensureBuiltinImages needs from containerd; replaced in unit tests. */
export interface ImageStore {
  /** Every reference (repo tag) the store has, normalized. */
  references(signal?: AbortSignal): Promise<Set<string>>;
  importArchive(file: string, signal?: AbortSignal): Promise<void>;
  close(): void;
}

export function socketPath(endpoint: string): string {
  return endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint;
}

/** containerd's k8s.io namespace: listed through CRI, written with ctr. */
export function containerdImageStore(endpoint: string): ImageStore {
  const client = new CriClient({ endpoint, timeoutMs: 10_000 });
  return {
    async references(signal) {
      const images = await client.listImages(undefined, signal ? { signal } : {});
      return new Set(images.flatMap((i) => i.repoTags));
    },
    importArchive: (file, signal) => importImageArchive(socketPath(endpoint), file, signal).then(() => undefined),
    close: () => client.close(),
  };
}

export async function ensureBuiltinImages(
  options: EnsureBuiltinImagesOptions,
  store: ImageStore = containerdImageStore(options.endpoint),
  recipes: readonly ImageRecipe[] = BUILTIN_RECIPES,
): Promise<EnsuredImage[]> {
  const { dataDir, signal } = options;
  try {
    const wanted = options.images ? [...new Set(options.images.map((i) => recipeFor(i, recipes)))] : recipes;
    const present = await store.references(signal);
    const out: EnsuredImage[] = [];
    for (const recipe of wanted) {
      const latest = `${recipe.repository}:latest`;
      const last = lastBuild(recipe, dataDir);
      if (present.has(latest)) {
        out.push({ name: recipe.name, references: last?.references.filter((r) => present.has(r)) ?? [latest], action: 'present', built: false });
        continue;
      }
      const image = last ?? (await buildImage(recipe, { dataDir, ...(signal && { signal }) }));
      await store.importArchive(image.archive, signal);
      out.push({ name: recipe.name, references: image.references, action: 'imported', built: image.built, archive: image.archive });
    }
    return out;
  } finally {
    store.close();
  }
}
