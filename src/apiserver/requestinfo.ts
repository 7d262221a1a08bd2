// Turns a request path into what it addresses, like upstream's RequestInfoFactory.

export interface RequestInfo {
  /** True for /api/… and /apis/… paths that name a resource. */
  isResourceRequest: boolean;
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection (resource requests) or the lower-case method. */
  verb: string;
  apiPrefix: 'api' | 'apis' | '';
  group: string;
  version: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after api/apis that did not form a resource request (discovery). */
  parts: string[];
}

/** Query booleans as Go's strconv.ParseBool reads them (Python's client sends "True"). */
export function queryBool(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

const truthy = (v: string | null) => queryBool(v) === true;

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    group: '',
    version: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
  const segs = path.split('/').filter((s) => s !== '');
  if (segs[0] !== 'api' && segs[0] !== 'apis') return info;
  info.apiPrefix = segs[0];
  let rest = segs.slice(1);
  if (info.apiPrefix === 'apis') {
    if (rest.length < 2) {
      info.parts = rest;
      if (rest[0]) info.group = rest[0];
      return info;
    }
    info.group = rest[0]!;
    rest = rest.slice(1);
  }
  if (rest.length < 2) {
    info.parts = rest;
    if (rest[0]) info.version = rest[0];
    return info;
  }
  info.version = rest[0]!;
  rest = rest.slice(1);
  info.isResourceRequest = true;
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces' && rest.length > 1) {
    info.namespace = rest[1]!;
    // /namespaces/<ns>/<resource>…, except the namespace's own subresources.
    if (rest.length > 2 && rest[2] !== 'status' && rest[2] !== 'finalize') rest = rest.slice(2);
  }
  info.resource = rest[0] ?? '';
  info.name = rest[1] ?? '';
  info.subresource = rest.slice(2).join('/');
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') {
    if (legacyWatch || truthy(query.get('watch'))) info.verb = 'watch';
    else info.verb = info.name ? 'get' : 'list';
  } else if (m === 'POST') info.verb = 'create';
  else if (m === 'PUT') info.verb = 'update';
  else if (m === 'PATCH') info.verb = 'patch';
  else if (m === 'DELETE') info.verb = info.name ? 'delete' : 'deletecollection';
  return info;
}
