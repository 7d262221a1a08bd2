// The `paths` of an OpenAPI v3 group-version document: every endpoint the registry serves for a resource, with
// upstream's operation ids, x-kubernetes-action and x-kubernetes-group-version-kind, and query parameters built
// from the meta/v1 *Options types. Parameters shared by every operation of a path move to the path, as
// kube-openapi does; each operation keeps its own (kubectl looks for `fieldValidation` among a PATCH's own).
import { META_V1, schemaType, type GroupVersionKind } from '../api/schema.ts';
import type { ResourceType } from '../api/types.ts';
import { fieldDescription, SCHEMA_REF_PREFIX, TYPE_NAMES, type OpenAPISchema } from './openapi-schemas.ts';

export type PathItem = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'query' | 'path';
  description?: string;
  required?: true;
  schema: { type: string; uniqueItems: true };
}

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete' | 'head' | 'options';

interface Operation {
  method: Method;
  operationId: string;
  description: string;
  action: string;
  gvk: GroupVersionKind;
  parameters: Parameter[];
  requestBody?: OpenAPISchema;
  responses: Record<string, OpenAPISchema>;
}

const LIST_OPTIONS = `${META_V1}.ListOptions`;
const CREATE_OPTIONS = `${META_V1}.CreateOptions`;
const UPDATE_OPTIONS = `${META_V1}.UpdateOptions`;
const PATCH_OPTIONS = `${META_V1}.PatchOptions`;
const DELETE_OPTIONS = `${META_V1}.DeleteOptions`;
const CORE_V1 = 'io.k8s.api.core.v1';

const OBJECT_CONTENT = ['application/json', 'application/vnd.kubernetes.protobuf', 'application/yaml'];
const STREAM_CONTENT = [...OBJECT_CONTENT, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
export const PATCH_CONTENT_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

const LIST_PARAMS = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
const DELETE_PARAMS = ['dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'orphanDependents', 'propagationPolicy'];
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];

/** A query parameter from a field of an options type (ListOptions, PatchOptions, PodLogOptions …). */
function optionParam(optionsType: string, field: string): Parameter {
  const f = schemaType(optionsType)?.fields[field];
  const ref = f?.type;
  const leaf = typeof ref === 'object' && 'list' in ref ? ref.list : ref;
  const type = leaf === 'bool' ? 'boolean' : leaf === 'int32' || leaf === 'int64' ? 'integer' : 'string';
  const p: Parameter = { name: field, in: 'query', schema: { type, uniqueItems: true } };
  const description = fieldDescription(optionsType, field);
  if (description) p.description = description;
  return p;
}

/** Every query parameter an options type offers, except TypeMeta and values a query cannot carry (times, nested structs). */
function allOptionParams(optionsType: string): Parameter[] {
  const t = schemaType(optionsType);
  if (!t) return [];
  const scalar = (ref: unknown) => ref === 'string' || ref === 'bool' || ref === 'int32' || ref === 'int64';
  return Object.entries(t.fields)
    .filter(([, f]) => !f.inline && (scalar(f.type) || (typeof f.type === 'object' && 'list' in f.type && scalar(f.type.list))))
    .map(([name]) => optionParam(optionsType, name));
}

const pathParam = (name: string, description: string): Parameter => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });
const PRETTY: Parameter = { name: 'pretty', in: 'query', description: "If 'true', the response is indented for people to read.", schema: { type: 'string', uniqueItems: true } };
const NAMESPACE = pathParam('namespace', 'the namespace the object lives in');

function contentOf(types: string[], schema: OpenAPISchema): OpenAPISchema {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

const ref = (name: string): OpenAPISchema => ({ $ref: SCHEMA_REF_PREFIX + name });
const UNAUTHORIZED = { description: 'Unauthorized' };

function responses(codes: Array<[string, string]>, content: OpenAPISchema): Record<string, OpenAPISchema> {
  const out: Record<string, OpenAPISchema> = {};
  for (const [code, description] of codes) out[code] = { content, description };
  out['401'] = UNAUTHORIZED;
  return out;
}

const OK: [string, string] = ['200', 'OK'];
const CREATED: [string, string] = ['201', 'Created'];
const ACCEPTED: [string, string] = ['202', 'Accepted'];

/** "apps" → "Apps", "" → "Core", "rbac.authorization.k8s.io" → "RbacAuthorization", "stable.example.com" → "StableExampleCom". */
export function groupPart(group: string): string {
  if (group === '') return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split(/[.-]/)
    .map(capitalize)
    .join('');
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The operation tag: "apps_v1", "core_v1", "rbacAuthorization_v1". */
export function tagOf(group: string, version: string): string {
  const g = groupPart(group);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${version}`;
}

/** Upstream's component name for a kind Skiff's schema does not know (custom resources): reversed group, version, kind. */
export function customTypeName(group: string, version: string, kind: string): string {
  return [...group.split('.').reverse(), version, kind].join('.');
}

export interface ResourceTypeNames {
  /** Component name of the kind's schema. */
  object: string;
  /** Component name of its list's schema. */
  list: string;
  /**
   * A custom resource (no Go type behind it): its PATCH offers no strategic merge patch, as upstream's, so
   * kubectl's client-side apply sends a JSON merge patch instead.
   */
  custom?: boolean;
}

interface Subresource {
  /** Extra operations on <item>/<name> ; `path` is the URL suffix after the item path. */
  ops(t: ResourceType, ctx: ResourceContext): Array<{ path: string; ops: Operation[]; pathParams?: Parameter[] }>;
}

interface ResourceContext {
  names: ResourceTypeNames;
  gvk: GroupVersionKind;
  prefix: string; // "/apis/apps/v1" or "/api/v1"
  idBase: string; // "AppsV1"
  scope: string; // "Namespaced" or ""
  tag: string;
}

function writeOp(method: Method, opId: string, description: string, action: string, gvk: GroupVersionKind, body: string, options: string, codes: Array<[string, string]>): Operation {
  return {
    method,
    operationId: opId,
    description,
    action,
    gvk,
    parameters: WRITE_PARAMS.map((p) => optionParam(options, p)),
    requestBody: { content: { '*/*': { schema: ref(body) } }, required: true },
    responses: responses(codes, contentOf(OBJECT_CONTENT, ref(body))),
  };
}

function patchOp(opId: string, description: string, gvk: GroupVersionKind, result: string, custom = false): Operation {
  const types = custom ? PATCH_CONTENT_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json') : PATCH_CONTENT_TYPES;
  return {
    method: 'patch',
    operationId: opId,
    description,
    action: 'patch',
    gvk,
    parameters: ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((p) => optionParam(PATCH_OPTIONS, p)),
    requestBody: { content: contentOf(types, ref(TYPE_NAMES.patch)), required: true },
    responses: responses([OK, CREATED], contentOf(OBJECT_CONTENT, ref(result))),
  };
}

function getOp(opId: string, description: string, gvk: GroupVersionKind, result: string): Operation {
  return { method: 'get', operationId: opId, description, action: 'get', gvk, parameters: [], responses: responses([OK], contentOf(OBJECT_CONTENT, ref(result))) };
}

/** get / put / patch of a view of the object (status, scale, ephemeralcontainers, resize, approval). */
function objectView(sub: string, result: (t: ResourceType, ctx: ResourceContext) => { schema: string; gvk: GroupVersionKind }): Subresource {
  return {
    ops(t, ctx) {
      const { schema, gvk } = result(t, ctx);
      const id = `${ctx.idBase}${ctx.scope}${t.kind}${capitalize(sub)}`;
      return [
        {
          path: `/${sub}`,
          ops: [
            getOp(`read${id}`, `read ${sub} of the specified ${t.kind}`, gvk, schema),
            writeOp('put', `replace${id}`, `replace ${sub} of the specified ${t.kind}`, 'put', gvk, schema, UPDATE_OPTIONS, [OK, CREATED]),
            patchOp(`patch${id}`, `partially update ${sub} of the specified ${t.kind}`, gvk, schema, ctx.names.custom),
          ],
        },
      ];
    },
  };
}

/** POST of another kind to the object (binding, eviction, token). */
function createFor(sub: string, schema: string, gvk: GroupVersionKind): Subresource {
  return {
    ops(t, ctx) {
      const id = `${ctx.idBase}${ctx.scope}${t.kind}${capitalize(sub)}`;
      return [{ path: `/${sub}`, ops: [writeOp('post', `create${id}`, `create ${sub} of a ${t.kind}`, 'post', gvk, schema, CREATE_OPTIONS, [OK, CREATED, ACCEPTED])] }];
    },
  };
}

const CONNECT_CONTENT = contentOf(['*/*'], { type: 'string' });

/** A streaming connection (exec, attach, portforward, proxy): the options travel as query parameters. */
function connect(sub: string, optionsKind: string, methods: Method[], withPath: boolean): Subresource {
  return {
    ops(t, ctx) {
      const options = `${CORE_V1}.${optionsKind}`;
      const gvk = { group: '', version: 'v1', kind: optionsKind };
      const params = allOptionParams(options);
      const build = (suffix: string, extra: Parameter[]): Operation[] =>
        methods.map((m) => ({
          method: m,
          operationId: `connect${ctx.idBase}${capitalize(m)}${ctx.scope}${t.kind}${capitalize(sub)}${suffix}`,
          description: `connect ${m.toUpperCase()} requests to ${sub} of ${t.kind}`,
          action: 'connect',
          gvk,
          parameters: [...params, ...extra],
          responses: responses([OK], CONNECT_CONTENT),
        }));
      const out = [{ path: `/${sub}`, ops: build('', []) }];
      if (withPath) out.push({ path: `/${sub}/{path}`, ops: build('WithPath', [pathParam('path', 'path to the resource')]) });
      return out;
    },
  };
}

const LOG: Subresource = {
  ops(t, ctx) {
    const options = `${CORE_V1}.PodLogOptions`;
    return [
      {
        path: '/log',
        ops: [
          {
            method: 'get',
            operationId: `read${ctx.idBase}${ctx.scope}${t.kind}Log`,
            description: `read log of the specified ${t.kind}`,
            action: 'get',
            gvk: ctx.gvk,
            parameters: allOptionParams(options),
            responses: responses([OK], contentOf(['text/plain', ...OBJECT_CONTENT], { type: 'string' })),
          },
        ],
      },
    ];
  },
};

const PROXY_METHODS: Method[] = ['delete', 'get', 'head', 'options', 'patch', 'post', 'put'];

const SUBRESOURCES: Readonly<Record<string, Subresource>> = {
  status: objectView('status', (_t, ctx) => ({ schema: ctx.names.object, gvk: ctx.gvk })),
  ephemeralcontainers: objectView('ephemeralcontainers', (_t, ctx) => ({ schema: ctx.names.object, gvk: ctx.gvk })),
  resize: objectView('resize', (_t, ctx) => ({ schema: ctx.names.object, gvk: ctx.gvk })),
  approval: objectView('approval', (_t, ctx) => ({ schema: ctx.names.object, gvk: ctx.gvk })),
  scale: objectView('scale', () => ({ schema: 'io.k8s.api.autoscaling.v1.Scale', gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } })),
  finalize: {
    ops(t, ctx) {
      const id = `${ctx.idBase}${ctx.scope}${t.kind}Finalize`;
      return [{ path: '/finalize', ops: [writeOp('put', `replace${id}`, `replace finalize of the specified ${t.kind}`, 'put', ctx.gvk, ctx.names.object, UPDATE_OPTIONS, [OK, CREATED])] }];
    },
  },
  binding: createFor('binding', `${CORE_V1}.Binding`, { group: '', version: 'v1', kind: 'Binding' }),
  eviction: createFor('eviction', 'io.k8s.api.policy.v1.Eviction', { group: 'policy', version: 'v1', kind: 'Eviction' }),
  token: createFor('token', 'io.k8s.api.authentication.v1.TokenRequest', { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }),
  log: LOG,
  exec: connect('exec', 'PodExecOptions', ['get', 'post'], false),
  attach: connect('attach', 'PodAttachOptions', ['get', 'post'], false),
  portforward: connect('portforward', 'PodPortForwardOptions', ['get', 'post'], false),
  proxy: {
    ops(t, ctx) {
      return connect('proxy', `${t.kind}ProxyOptions`, PROXY_METHODS, true).ops(t, ctx);
    },
  },
};

/** A path's operations with the parameters every one of them has moved up to the path (kube-openapi's rule). */
function pathItem(ops: Operation[], pathParams: Parameter[], tag: string): PathItem {
  const all = ops.map((op) => [...pathParams, ...op.parameters]);
  const key = (p: Parameter) => `${p.in}:${p.name}`;
  const shared = (all[0] ?? []).filter((p) => all.every((params) => params.some((q) => key(q) === key(p))));
  const sharedKeys = new Set(shared.map(key));
  const item: PathItem = {};
  for (const [i, op] of ops.entries()) {
    const own = all[i]!.filter((p) => !sharedKeys.has(key(p)));
    const o: OpenAPISchema = { description: op.description, operationId: op.operationId };
    if (own.length) o['parameters'] = sortParams(own);
    if (op.requestBody) o['requestBody'] = op.requestBody;
    o['responses'] = op.responses;
    o['tags'] = [tag];
    o['x-kubernetes-action'] = op.action;
    o['x-kubernetes-group-version-kind'] = op.gvk;
    item[op.method] = o;
  }
  if (shared.length) item['parameters'] = sortParams(shared);
  return item;
}

function sortParams(params: Parameter[]): Parameter[] {
  return [...params].sort((a, b) => (a.name === b.name ? a.in.localeCompare(b.in) : a.name < b.name ? -1 : 1));
}

/** The paths for one resource type (collection, item, all-namespaces list, legacy watch paths, subresources). */
export function resourcePaths(t: ResourceType, names: ResourceTypeNames): Record<string, PathItem> {
  const prefix = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const ctx: ResourceContext = {
    names,
    gvk: { group: t.group, version: t.version, kind: t.kind },
    prefix,
    idBase: `${groupPart(t.group)}${capitalize(t.version)}`,
    scope: t.namespaced ? 'Namespaced' : '',
    tag: tagOf(t.group, t.version),
  };
  const { gvk, idBase, scope } = ctx;
  const K = t.kind;
  const can = (verb: string) => t.verbs.includes(verb);
  const scopeParams = t.namespaced ? [NAMESPACE] : [];
  const itemParams = [pathParam('name', `name of the ${K}`), ...scopeParams];
  const collection = `${prefix}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
  const item = `${collection}/{name}`;
  const listParams = () => LIST_PARAMS.map((p) => optionParam(LIST_OPTIONS, p));
  const listContent = contentOf(STREAM_CONTENT, ref(names.list));
  const watchContent = contentOf(STREAM_CONTENT, ref(TYPE_NAMES.watchEvent));
  const paths: Array<[string, Operation[], Parameter[]]> = [];

  const collectionOps: Operation[] = [];
  if (can('list'))
    collectionOps.push({ method: 'get', operationId: `list${idBase}${scope}${K}`, description: `list or watch objects of kind ${K}`, action: 'list', gvk, parameters: listParams(), responses: responses([OK], listContent) });
  if (can('create')) collectionOps.push(writeOp('post', `create${idBase}${scope}${K}`, `create a ${K}`, 'post', gvk, names.object, CREATE_OPTIONS, [OK, CREATED, ACCEPTED]));
  if (can('deletecollection'))
    collectionOps.push({
      method: 'delete',
      operationId: `delete${idBase}Collection${scope}${K}`,
      description: `delete collection of ${K}`,
      action: 'deletecollection',
      gvk,
      parameters: [...DELETE_PARAMS.map((p) => optionParam(DELETE_OPTIONS, p)), ...LIST_PARAMS.filter((p) => p !== 'watch' && p !== 'allowWatchBookmarks').map((p) => optionParam(LIST_OPTIONS, p))],
      requestBody: { content: { '*/*': { schema: ref(TYPE_NAMES.deleteOptions) } } },
      responses: responses([OK], contentOf(OBJECT_CONTENT, ref(TYPE_NAMES.status))),
    });
  if (collectionOps.length) paths.push([collection, collectionOps, [PRETTY, ...scopeParams]]);

  const itemOps: Operation[] = [];
  if (can('get')) itemOps.push(getOp(`read${idBase}${scope}${K}`, `read the specified ${K}`, gvk, names.object));
  if (can('update')) itemOps.push(writeOp('put', `replace${idBase}${scope}${K}`, `replace the specified ${K}`, 'put', gvk, names.object, UPDATE_OPTIONS, [OK, CREATED]));
  if (can('patch')) itemOps.push(patchOp(`patch${idBase}${scope}${K}`, `partially update the specified ${K}`, gvk, names.object, names.custom));
  if (can('delete'))
    itemOps.push({
      method: 'delete',
      operationId: `delete${idBase}${scope}${K}`,
      description: `delete a ${K}`,
      action: 'delete',
      gvk,
      parameters: DELETE_PARAMS.map((p) => optionParam(DELETE_OPTIONS, p)),
      requestBody: { content: { '*/*': { schema: ref(TYPE_NAMES.deleteOptions) } } },
      responses: responses([OK, ACCEPTED], contentOf(OBJECT_CONTENT, ref(TYPE_NAMES.status))),
    });
  if (itemOps.length) paths.push([item, itemOps, [PRETTY, ...itemParams]]);

  if (t.namespaced && can('list')) {
    paths.push([
      `${prefix}/${t.plural}`,
      [{ method: 'get', operationId: `list${idBase}${K}ForAllNamespaces`, description: `list or watch objects of kind ${K}`, action: 'list', gvk, parameters: listParams(), responses: responses([OK], listContent) }],
      [PRETTY],
    ]);
  }

  if (can('watch')) {
    const deprecated = "deprecated: use the 'watch' parameter with a list operation instead";
    const watchOp = (operationId: string, action: string, description: string): Operation => ({ method: 'get', operationId, description, action, gvk, parameters: listParams(), responses: responses([OK], watchContent) });
    const watchCollection = `${prefix}/watch${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    paths.push([watchCollection, [watchOp(`watch${idBase}${scope}${K}List`, 'watchlist', `watch individual changes to a list of ${K}. ${deprecated}.`)], [PRETTY, ...scopeParams]]);
    paths.push([
      `${watchCollection}/{name}`,
      [watchOp(`watch${idBase}${scope}${K}`, 'watch', `watch changes to an object of kind ${K}. ${deprecated}, filtered to a single item with the 'fieldSelector' parameter.`)],
      [PRETTY, ...itemParams],
    ]);
    if (t.namespaced) {
      paths.push([`${prefix}/watch/${t.plural}`, [watchOp(`watch${idBase}${K}ListForAllNamespaces`, 'watchlist', `watch individual changes to a list of ${K}. ${deprecated}.`)], [PRETTY]]);
    }
  }

  for (const sub of t.subresources ?? []) {
    const s = Object.hasOwn(SUBRESOURCES, sub) ? SUBRESOURCES[sub] : undefined;
    if (!s) continue;
    for (const p of s.ops(t, ctx)) paths.push([`${item}${p.path}`, p.ops, [PRETTY, ...itemParams, ...(p.pathParams ?? [])]]);
  }

  const out: Record<string, PathItem> = {};
  for (const [path, ops, params] of paths) {
    out[path] = pathItem(ops, params, ctx.tag);
  }
  return out;
}

/** GET <path>/ of a discovery document. */
export function discoveryPath(operationId: string, description: string, schema: string, tag: string): PathItem {
  return {
    get: {
      description,
      operationId,
      responses: responses([OK], contentOf(OBJECT_CONTENT, ref(schema))),
      tags: [tag],
    },
  };
}
