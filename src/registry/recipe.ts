// What a built-in image is made from. A recipe resolves its inputs on this host (package versions: the cache key)
// without building; only a cache miss calls build().
import type { OciImageOptions } from '../kubelet/containerd-images.ts';
import type { Rootfs } from './rootfs.ts';

/** The image config and its one layer. */
export interface ImageContent extends Omit<OciImageOptions, 'name' | 'additionalNames' | 'layer'> {
  rootfs: Rootfs;
}

export interface ResolvedRecipe {
  /** Everything the image's bytes depend on besides the recipe itself, e.g. { 'busybox-static': '1:1.35.0-4' }. */
  inputs: Record<string, string>;
  /** The upstream version the image is tagged with besides latest, e.g. 1.35.0. */
  version: string;
  build(signal?: AbortSignal): Promise<ImageContent>;
}

export interface RecipeContext {
  /** Where downloaded .deb files are kept. */
  debDir: string;
  signal?: AbortSignal;
}

export interface ImageRecipe {
  /** Short name: busybox, nginx. */
  name: string;
  /** e.g. docker.io/library/nginx; tagged :latest and :<version>. */
  repository: string;
  /** Raised whenever the recipe builds different bytes from the same inputs: part of the cache key. */
  recipeVersion: number;
  resolve(context: RecipeContext): Promise<ResolvedRecipe>;
}
