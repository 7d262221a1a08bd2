// kubectl cp's file specs (`[[namespace/]pod:]path`) and its path rules: Go's path.Clean/Dir/Base/Join semantics,
// one trailing slash dropped, leading `../` stripped from what a container sends back (pkg/cmd/cp/filespec.go).
import path from 'node:path';

export const FILESPEC_FORMAT_ERROR = 'filespec must match the canonical format: [[namespace/]pod:]file/path';

export interface FileSpec {
  podName: string;
  podNamespace: string;
  file: string;
  remote: boolean;
}

export function stripTrailingSlash(file: string): string {
  return file.length > 1 && file.endsWith('/') ? file.slice(0, -1) : file;
}

/** Go's path.Clean. */
export function clean(p: string): string {
  if (p === '') return '.';
  const normal = path.posix.normalize(p);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** Go's path.Dir. */
export function dir(p: string): string {
  const i = p.lastIndexOf('/');
  return clean(i === -1 ? '' : p.slice(0, i + 1));
}

/** Go's path.Base. */
export function base(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Go's path.Join: empty elements ignored, the result cleaned; nothing at all gives "". */
export function join(...elems: string[]): string {
  const parts = elems.filter((e) => e !== '');
  return parts.length === 0 ? '' : clean(parts.join('/'));
}

export function stripLeadingSlash(file: string): string {
  return file.replace(/^[/\\]+/, '');
}

/** Removes leading `../` (and a bare `.` or `..`, and then one leading `/`). */
export function stripPathShortcuts(p: string): string {
  let current = p;
  while (current.startsWith('../')) current = current.slice(3);
  if (current === '.' || current === '..') current = '';
  return current.startsWith('/') ? current.slice(1) : current;
}

/** Whether target lies inside base (filepath.Rel without climbing out). */
export function isRelative(baseDir: string, target: string): boolean {
  if (path.isAbsolute(baseDir) !== path.isAbsolute(target)) return false;
  const rel = path.relative(baseDir, target) || '.';
  return rel === '.' || rel === stripPathShortcuts(rel);
}

export function remotePath(file: string): string {
  return stripTrailingSlash(file).replace(/\\/g, '/');
}

export function extractFileSpec(arg: string): FileSpec {
  const i = arg.indexOf(':');
  if (i === 0) throw new Error(FILESPEC_FORMAT_ERROR);
  if (i === -1) return { podName: '', podNamespace: '', file: stripTrailingSlash(arg), remote: false };
  const pod = arg.slice(0, i);
  const file = remotePath(arg.slice(i + 1));
  const pieces = pod.split('/');
  if (pieces.length === 1) return { podName: pieces[0]!, podNamespace: '', file, remote: true };
  if (pieces.length === 2) return { podNamespace: pieces[0]!, podName: pieces[1]!, file, remote: true };
  throw new Error(FILESPEC_FORMAT_ERROR);
}
