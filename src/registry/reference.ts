// Image references as the CRI plugin (and docker) read them: nginx → docker.io/library/nginx:latest.

export class InvalidReferenceError extends Error {
  override name = 'InvalidReferenceError';
}

export interface ParsedReference {
  /** e.g. docker.io/library/nginx */
  repository: string;
  tag?: string;
  digest?: string;
}

const NAME_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Splits and normalizes a reference: the docker.io registry and library/ namespace are added, :latest when no tag or digest. */
export function parseReference(reference: string): ParsedReference {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/.test(digest)) throw new InvalidReferenceError(`invalid reference ${JSON.stringify(reference)}: bad digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new InvalidReferenceError(`invalid reference ${JSON.stringify(reference)}: bad tag`);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'docker.io';
  const path = hasRegistry ? parts.slice(1) : parts;
  if (registry === 'docker.io' && path.length === 1) path.unshift('library');
  if (!path.length || !path.every((c) => NAME_COMPONENT.test(c))) throw new InvalidReferenceError(`invalid reference ${JSON.stringify(reference)}`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { repository: `${registry}/${path.join('/')}`, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

export function normalizeReference(reference: string): string {
  const r = parseReference(reference);
  return `${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}
