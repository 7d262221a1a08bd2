// What configMap, secret, downwardAPI and projected volumes hold: file path → contents and mode, as upstream's
// MakePayload / CollectData build them, with their messages.
import type {
  ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, ProjectedVolumeSource, Secret, ServiceAccountTokenProjection,
} from 'kubernetes-types/core/v1.d.ts';
import type { FileProjection } from './atomic-writer.ts';
import { extractPodMetadataField, resourceValueByContainerName, sortLines, type ResourceList } from './fieldpath.ts';

/** The API server's default for defaultMode (0644). */
export const DEFAULT_MODE = 0o644;

/** One or more problems, worded as upstream's aggregate error: the message alone, or `[a, b]`. */
export class PayloadError extends Error {
  override name = 'PayloadError';
}

export function aggregate(errors: readonly unknown[]): PayloadError | undefined {
  const messages = [...new Set(errors.map((e) => (e instanceof Error ? e.message : String(e))))];
  if (!messages.length) return undefined;
  return new PayloadError(messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`, { cause: errors[0] });
}

type Files = Map<string, FileProjection>;

function fromData(data: ReadonlyMap<string, Buffer | string>, items: readonly KeyToPath[] | undefined, defaultMode: number, optional: boolean, missing: (key: string) => string): Files {
  const files: Files = new Map();
  if (!items?.length) {
    for (const [key, value] of data) files.set(key, { data: value, mode: defaultMode });
    return files;
  }
  for (const item of items) {
    const value = data.get(item.key);
    if (value === undefined) {
      if (optional) continue;
      throw new PayloadError(missing(item.key));
    }
    files.set(item.path, { data: value, mode: item.mode ?? defaultMode });
  }
  return files;
}

/** A configMap's files; `configMap` undefined stands for a missing optional one. */
export function configMapFiles(configMap: ConfigMap | undefined, items: readonly KeyToPath[] | undefined, defaultMode: number, optional: boolean): Files {
  const data = new Map<string, Buffer | string>(Object.entries(configMap?.data ?? {}));
  for (const [k, v] of Object.entries(configMap?.binaryData ?? {})) if (!data.has(k)) data.set(k, Buffer.from(v, 'base64'));
  return fromData(data, items, defaultMode, optional, (key) => `configmap references non-existent config key: ${key}`);
}

/** A secret's files; `secret` undefined stands for a missing optional one. */
export function secretFiles(secret: Secret | undefined, items: readonly KeyToPath[] | undefined, defaultMode: number, optional: boolean): Files {
  const data = new Map<string, Buffer | string>(Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  return fromData(data, items, defaultMode, optional, (key) => `references non-existent secret key: ${key}`);
}

/** A downwardAPI volume's files; throws PayloadError when a field cannot be read. */
export function downwardAPIFiles(items: readonly DownwardAPIVolumeFile[] | undefined, pod: Pod, defaultMode: number, allocatable: ResourceList): Files {
  const files: Files = new Map();
  const errors: unknown[] = [];
  for (const item of items ?? []) {
    let value = '';
    try {
      if (item.fieldRef) value = sortLines(extractPodMetadataField(pod, item.fieldRef.fieldPath));
      else if (item.resourceFieldRef) value = sortLines(resourceValueByContainerName(item.resourceFieldRef, pod, allocatable));
    } catch (err) {
      errors.push(err);
    }
    files.set(item.path.replace(/\/+$/, ''), { data: value, mode: item.mode ?? defaultMode });
  }
  const err = aggregate(errors);
  if (err) throw err;
  return files;
}

/** Where a projected volume's sources come from. */
export interface ProjectionSources {
  /** Rejects with an error named ObjectNotFoundError when it does not exist. */
  configMap(name: string): Promise<ConfigMap>;
  secret(name: string): Promise<Secret>;
  token(projection: ServiceAccountTokenProjection): Promise<string>;
  allocatable: ResourceList;
}

const isNotFound = (err: unknown) => (err as Error | undefined)?.name === 'ObjectNotFoundError';

/**
 * A projected volume's files, later sources overwriting earlier ones' paths. A token file is 0600 when the pod
 * has an fsGroup (its ownership then opens it to the group), else the default mode.
 */
export async function projectedFiles(source: ProjectedVolumeSource, pod: Pod, sources: ProjectionSources, fsGroup: number | undefined): Promise<Files> {
  const defaultMode = source.defaultMode ?? DEFAULT_MODE;
  const files: Files = new Map();
  const errors: unknown[] = [];
  const merge = (more: Files) => {
    for (const [k, v] of more) files.set(k, v);
  };
  for (const s of source.sources ?? []) {
    try {
      if (s.secret) {
        const optional = !!s.secret.optional;
        let secret: Secret | undefined;
        try {
          secret = await sources.secret(s.secret.name ?? '');
        } catch (err) {
          if (!(optional && isNotFound(err))) throw err;
        }
        merge(secretFiles(secret, s.secret.items, defaultMode, optional));
      } else if (s.configMap) {
        const optional = !!s.configMap.optional;
        let cm: ConfigMap | undefined;
        try {
          cm = await sources.configMap(s.configMap.name ?? '');
        } catch (err) {
          if (!(optional && isNotFound(err))) throw err;
        }
        merge(configMapFiles(cm, s.configMap.items, defaultMode, optional));
      } else if (s.downwardAPI) {
        merge(downwardAPIFiles(s.downwardAPI.items, pod, defaultMode, sources.allocatable));
      } else if (s.serviceAccountToken) {
        const token = await sources.token(s.serviceAccountToken);
        files.set(s.serviceAccountToken.path, { data: token, mode: fsGroup !== undefined ? 0o600 : defaultMode });
      }
    } catch (err) {
      errors.push(err);
    }
  }
  const err = aggregate(errors);
  if (err) throw err;
  return files;
}
