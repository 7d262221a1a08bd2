import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { newRegistry, type Registry } from '../api/registry.ts';
import type { ResourceType } from '../api/types.ts';
import { invalidate, openAPIRoot, serveOpenAPI, OPENAPI_V3_PROTOBUF } from './openapi.ts';

const registry = newRegistry();
const none = new URLSearchParams();

function get(path: string, opts: { query?: URLSearchParams; accept?: string; registry?: Registry; ifNoneMatch?: string } = {}) {
  return serveOpenAPI(path, opts.query ?? none, opts.accept ?? 'application/json', opts.registry ?? registry, opts.ifNoneMatch);
}

function doc(name: string, r: Registry = registry): any {
  const res = get(`/openapi/v3/${name}`, { registry: r });
  assert.equal(res.status, 200, `GET /openapi/v3/${name}: ${res.body.toString()}`);
  return JSON.parse(res.body.toString());
}

/** The component a property or item schema names, through `allOf: [{$ref}]` or a plain `$ref`. */
function deref(d: any, schema: any): any {
  const ref: string | undefined = schema.$ref ?? schema.allOf?.[0]?.$ref;
  assert.ok(ref, `not a reference: ${JSON.stringify(schema)}`);
  const target = d.components.schemas[ref.replace('#/components/schemas/', '')];
  assert.ok(target, `dangling ${ref}`);
  return target;
}

function servedNames(r: Registry): string[] {
  const names = ['api', 'apis', 'version'];
  for (const g of r.groups) {
    if (g.name) names.push(`apis/${g.name}`);
    for (const v of g.versions) names.push(g.name ? `apis/${g.name}/${v}` : `api/${v}`);
  }
  return names.sort();
}

function allRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) allRefs(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // A schema reference is a string; apiextensions' JSONSchemaProps also has a *property* named $ref.
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else allRefs(v, out);
    }
  }
  return out;
}

/** A parameter, response or request body with a reference to components followed. */
function follow(d: any, value: any): any {
  const [, section, key] = /^#\/components\/(parameters|responses|requestBodies)\/(.+)$/.exec(value?.$ref ?? '') ?? [];
  return section ? d.components[section][key!] : value;
}

/** A document's parameters with references to components.parameters followed. */
function params(d: any, list: any[] | undefined): any[] {
  return (list ?? []).map((p) => follow(d, p));
}

void describe('OpenAPI v3 root', () => {
  void it('lists every served group version, group, /api, /apis and /version, each with the SHA-512 of its document', () => {
    const res = get('/openapi/v3');
    assert.equal(res.status, 200);
    assert.equal(res.headers['Content-Type'], 'application/json');
    const root = JSON.parse(res.body.toString());
    assert.deepEqual(Object.keys(root.paths).sort(), servedNames(registry));
    assert.ok(root.paths['api/v1'] && root.paths['apis/apps/v1'] && root.paths['apis/rbac.authorization.k8s.io/v1']);
    for (const [name, entry] of Object.entries<any>(root.paths)) {
      const m = /^\/openapi\/v3\/(.+)\?hash=([0-9A-F]{128})$/.exec(entry.serverRelativeURL);
      assert.ok(m, entry.serverRelativeURL);
      assert.equal(m[1], name);
      const body = get(`/openapi/v3/${name}`).body;
      assert.equal(m[2], createHash('sha512').update(body).digest('hex').toUpperCase(), `hash of ${name}`);
    }
  });

  void it('is the same bytes on every call (documents are generated once)', () => {
    assert.equal(get('/openapi/v3').body, get('/openapi/v3').body);
    assert.deepEqual(openAPIRoot(registry), JSON.parse(get('/openapi/v3').body.toString()));
  });
});

void describe('OpenAPI v3 handler', () => {
  const url = (name: string) => new URL(openAPIRoot(registry).paths[name]!.serverRelativeURL, 'https://x');

  void it('serves a matching hash as immutable, with a quoted ETag and Expires a year ahead', () => {
    const u = url('apis/apps/v1');
    const res = get(u.pathname, { query: u.searchParams });
    assert.equal(res.status, 200);
    assert.equal(res.headers['Etag'], `"${u.searchParams.get('hash')}"`);
    assert.equal(res.headers['Cache-Control'], 'public, immutable');
    assert.equal(res.headers['Vary'], 'Accept');
    const expires = Date.parse(res.headers['Expires']!);
    assert.ok(expires > Date.now() + 360 * 24 * 3600_000 && expires < Date.now() + 370 * 24 * 3600_000, res.headers['Expires']);
  });

  void it('redirects a stale hash to the current URL with 301', () => {
    const current = url('api/v1');
    const res = get('/openapi/v3/api/v1', { query: new URLSearchParams({ hash: '0'.repeat(128) }) });
    assert.equal(res.status, 301);
    assert.equal(res.headers['Location'], current.pathname + current.search);
  });

  void it('answers without a hash uncached but with the ETag, and 304 for a matching If-None-Match', () => {
    const res = get('/openapi/v3/apis/batch/v1');
    assert.equal(res.status, 200);
    assert.equal(res.headers['Cache-Control'], 'no-cache, private');
    assert.match(res.headers['Etag']!, /^"[0-9A-F]{128}"$/);
    const again = get('/openapi/v3/apis/batch/v1', { ifNoneMatch: res.headers['Etag']! });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  });

  void it('negotiates JSON from Accept; protobuf alone is 406', () => {
    assert.equal(get('/openapi/v3/api/v1', { accept: '*/*' }).status, 200);
    assert.equal(get('/openapi/v3/api/v1', { accept: '' }).status, 200);
    assert.equal(get('/openapi/v3/api/v1', { accept: `${OPENAPI_V3_PROTOBUF}, application/json` }).status, 200);
    const proto = get('/openapi/v3/api/v1', { accept: OPENAPI_V3_PROTOBUF });
    assert.equal(proto.status, 406);
    assert.equal(JSON.parse(proto.body.toString()).reason, 'NotAcceptable');
    assert.equal(get('/openapi/v3/api/v1', { accept: 'application/json;q=0' }).status, 406);
  });

  void it('answers 404 for an unknown document', () => {
    assert.equal(get('/openapi/v3/apis/nope.example.com/v1').status, 404);
  });

  void it('serves an empty /openapi/v2 in JSON, and as gnostic protobuf when asked', () => {
    const json = get('/openapi/v2', { accept: 'application/json' });
    assert.equal(json.status, 200);
    assert.deepEqual(JSON.parse(json.body.toString()), { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.35.0' }, paths: {} });
    const proto = get('/openapi/v2', { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    assert.equal(proto.status, 200);
    assert.equal(proto.headers['Content-Type'], 'application/octet-stream');
    // swagger (field 1) = "2.0", info (field 2) = {title, version}, paths (field 8) = {}.
    assert.deepEqual([...proto.body.subarray(0, 5)], [0x0a, 3, 0x32, 0x2e, 0x30]);
    assert.ok(proto.body.includes(Buffer.from('Kubernetes')));
    assert.deepEqual([...proto.body.subarray(-2)], [0x42, 0]);
  });
});

void describe('OpenAPI v3 group-version documents', () => {
  const apps = doc('apis/apps/v1');
  const core = doc('api/v1');

  void it('is OpenAPI 3.0.0 whose every $ref resolves within the document', () => {
    for (const name of servedNames(registry)) {
      const d = doc(name);
      assert.equal(d.openapi, '3.0.0');
      for (const ref of allRefs(d)) {
        const [, section, key] = /^#\/components\/(schemas|parameters|responses|requestBodies)\/(.+)$/.exec(ref) ?? [];
        assert.ok(section && d.components[section][key!], `${name}: dangling ${ref}`);
      }
    }
  });

  void it('PATCH of a deployment has upstream operation id, action, GVK and the query parameters kubectl checks', () => {
    const item = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    const patch = item.patch;
    assert.equal(patch.operationId, 'patchAppsV1NamespacedDeployment');
    assert.equal(patch['x-kubernetes-action'], 'patch');
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    const names = params(apps, patch.parameters).map((p: any) => `${p.in}:${p.name}`);
    assert.deepEqual(names, ['query:dryRun', 'query:fieldManager', 'query:fieldValidation', 'query:force']);
    assert.match(params(apps, patch.parameters)[2].description, /Strict/);
    assert.deepEqual(Object.keys(patch.requestBody.content).sort(), [
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);
    assert.equal(patch.requestBody.content['application/strategic-merge-patch+json'].schema.$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch');
    // Shared by every operation of the path, so hoisted to it (kube-openapi's layout).
    assert.deepEqual(params(apps, item.parameters).map((p: any) => p.name), ['name', 'namespace', 'pretty']);
    assert.equal(item.get.operationId, 'readAppsV1NamespacedDeployment');
    assert.equal(item.put.operationId, 'replaceAppsV1NamespacedDeployment');
    assert.equal(item.delete.operationId, 'deleteAppsV1NamespacedDeployment');
  });

  void it('every PATCH of every document declares fieldValidation itself (kubectl stops at the first PATCH of a GVK without it)', () => {
    let patches = 0;
    for (const name of servedNames(registry)) {
      const d = doc(name);
      for (const [path, item] of Object.entries<any>(d.paths)) {
        if (!item.patch || item.patch['x-kubernetes-action'] === 'connect') continue;
        patches++;
        assert.ok(item.patch.parameters?.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'), `${name} ${path}`);
      }
    }
    assert.ok(patches > 50, `only ${patches} PATCH operations`);
  });

  void it('operations refer to shared responses and request bodies, except what kubectl reads from a PATCH without following references', () => {
    const item = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    const ok = item.get.responses['200'];
    assert.match(ok.$ref, /^#\/components\/responses\/Deployment\.200-/);
    assert.equal(follow(apps, ok).description, 'OK');
    assert.deepEqual(Object.keys(follow(apps, ok).content).sort(), ['application/json', 'application/vnd.kubernetes.protobuf', 'application/yaml']);
    assert.equal(follow(apps, ok).content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.Deployment');
    // One component for every operation answering the same, across paths and methods.
    assert.equal(item.put.responses['200'].$ref, ok.$ref);
    assert.equal(item.patch.responses['200'].$ref, ok.$ref);
    assert.equal(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status'].get.responses['200'].$ref, ok.$ref);
    assert.notEqual(item.put.responses['201'].$ref, ok.$ref);
    assert.equal(follow(apps, item.put.responses['201']).description, 'Created');
    // Without content a response is cheaper to parse inline than as a reference.
    assert.deepEqual(item.get.responses['401'], { description: 'Unauthorized' });

    const put = follow(apps, item.put.requestBody);
    assert.match(item.put.requestBody.$ref, /^#\/components\/requestBodies\/Deployment-/);
    assert.deepEqual(put, { content: { '*/*': { schema: { $ref: '#/components/schemas/io.k8s.api.apps.v1.Deployment' } } }, required: true });
    assert.equal(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].post.requestBody.$ref, item.put.requestBody.$ref);
    // kubectl's apply looks for the strategic-merge-patch media type right in the PATCH body, and for
    // fieldValidation among the PATCH's own parameters; PUT and POST share theirs.
    assert.equal(item.patch.requestBody.$ref, undefined);
    assert.ok(item.patch.requestBody.content['application/strategic-merge-patch+json']);
    const inline = item.patch.parameters.find((p: any) => p.name === 'fieldValidation');
    assert.ok(inline && inline.in === 'query' && /Strict/.test(inline.description));
    assert.ok(item.patch.parameters.filter((p: any) => p !== inline).every((p: any) => p.$ref));
    assert.ok(item.put.parameters.every((p: any) => p.$ref));
    assert.deepEqual(follow(apps, item.put.parameters.find((p: any) => /fieldValidation/.test(p.$ref))), inline);
  });

  void it('has collection, all-namespaces, watch and subresource endpoints with upstream operation ids', () => {
    const ops = (path: string) => Object.fromEntries(Object.entries<any>(apps.paths[path] ?? {}).filter(([k]) => k !== 'parameters').map(([m, o]) => [m, `${o.operationId}/${o['x-kubernetes-action']}`]));
    assert.deepEqual(ops('/apis/apps/v1/namespaces/{namespace}/deployments'), {
      get: 'listAppsV1NamespacedDeployment/list',
      post: 'createAppsV1NamespacedDeployment/post',
      delete: 'deleteAppsV1CollectionNamespacedDeployment/deletecollection',
    });
    assert.deepEqual(ops('/apis/apps/v1/deployments'), { get: 'listAppsV1DeploymentForAllNamespaces/list' });
    assert.deepEqual(ops('/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status'), {
      get: 'readAppsV1NamespacedDeploymentStatus/get',
      put: 'replaceAppsV1NamespacedDeploymentStatus/put',
      patch: 'patchAppsV1NamespacedDeploymentStatus/patch',
    });
    const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    assert.equal(scale.patch.operationId, 'patchAppsV1NamespacedDeploymentScale');
    assert.deepEqual(scale.get['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    assert.ok(apps.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
    assert.deepEqual(ops('/apis/apps/v1/watch/namespaces/{namespace}/deployments'), { get: 'watchAppsV1NamespacedDeploymentList/watchlist' });
    assert.deepEqual(ops('/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}'), { get: 'watchAppsV1NamespacedDeployment/watch' });
    assert.equal(apps.paths['/apis/apps/v1/'].get.operationId, 'getAppsV1APIResources');

    const list = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].get;
    const listParams = params(apps, list.parameters).map((p: any) => p.name);
    for (const p of ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'allowWatchBookmarks', 'timeoutSeconds', 'watch']) {
      assert.ok(listParams.includes(p), `list lacks ${p}`);
    }
    assert.equal(params(apps, list.parameters).find((p: any) => p.name === 'limit').schema.type, 'integer');
    assert.equal(follow(apps, list.responses['200']).content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.DeploymentList');
    // The all-namespaces list has one operation, so all its parameters sit on the path.
    assert.ok(params(apps, apps.paths['/apis/apps/v1/deployments'].parameters).some((p: any) => p.name === 'labelSelector'));

    assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'].post.operationId, 'connectCoreV1PostNamespacedPodExec');
    assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'].get.operationId, 'readCoreV1NamespacedPodLog');
    assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post.operationId, 'createCoreV1NamespacedPodEviction');
    assert.equal(core.paths['/api/v1/nodes/{name}/proxy/{path}'].get.operationId, 'connectCoreV1GetNodeProxyWithPath');
    assert.equal(core.paths['/api/v1/namespaces/{name}/finalize'].put.operationId, 'replaceCoreV1NamespaceFinalize');
    assert.equal(core.paths['/api/v1/namespaces/{name}'].patch.operationId, 'patchCoreV1Namespace');
    const authz = doc('apis/authorization.k8s.io/v1');
    assert.deepEqual(Object.keys(authz.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews']).sort(), ['parameters', 'post']);
  });

  void it('Deployment schema: kind GVK, descriptions, and containers as a merge list keyed by name', () => {
    const s = apps.components.schemas;
    const deployment = s['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(deployment['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    assert.equal(deployment.type, 'object');
    assert.match(deployment.description, /^Deployment enables declarative updates for Pods and ReplicaSets\./);
    assert.equal(deployment.properties.apiVersion.type, 'string');
    assert.deepEqual(deployment.properties.metadata.default, {});
    const spec = deref(apps, deployment.properties.spec);
    assert.deepEqual(spec.required, ['selector', 'template']);
    assert.equal(spec.properties.replicas.type, 'integer');
    assert.equal(spec.properties.replicas.format, 'int32');
    const podSpec = deref(apps, deref(apps, spec.properties.template).properties.spec);
    const containers = podSpec.properties.containers;
    assert.equal(containers.type, 'array');
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(containers['x-kubernetes-list-type'], 'map');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    assert.match(containers.description, /^List of containers belonging to the pod\./);
    assert.deepEqual(containers.items.default, {});
    const container = deref(apps, containers.items);
    assert.deepEqual(container.required, ['name']);
    assert.equal(container.properties.image.type, 'string');
    assert.deepEqual(container.properties.ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
    assert.equal(container.properties.ports['x-kubernetes-patch-merge-key'], 'containerPort');
    assert.equal(deref(apps, container.properties.ports.items).properties.protocol.default, 'TCP');
    assert.equal(container.properties.env['x-kubernetes-patch-merge-key'], 'name');
    assert.deepEqual(container.properties.args.items, { default: '', type: 'string' });
    const strategyType = deref(apps, spec.properties.strategy).properties.type;
    assert.deepEqual(strategyType.enum, ['Recreate', 'RollingUpdate']);
    assert.match(strategyType.description, /\n\nPossible enum values:\n - `"Recreate"` Kill all existing pods/);
    assert.equal(spec.properties.replicas.enum, undefined);
    const selector = deref(apps, spec.properties.selector);
    assert.equal(selector['x-kubernetes-map-type'], 'atomic');
    assert.equal(spec.properties.selector.default, undefined, 'a pointer field has no default');
  });

  void it('writes the hand-written JSON types as upstream does', () => {
    const s = core.components.schemas;
    assert.deepEqual(
      { ...s['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], description: undefined },
      { description: undefined, format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] },
    );
    assert.deepEqual(s['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf, [{ type: 'string' }, { type: 'number' }]);
    assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].format, 'date-time');
    assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].type, 'string');
    assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1'].type, 'object');
    assert.equal(s['io.k8s.apimachinery.pkg.runtime.RawExtension'].type, 'object');
    assert.deepEqual(s['io.k8s.api.core.v1.Secret'].properties.data.additionalProperties, { format: 'byte', type: 'string' });
    const limits = s['io.k8s.api.core.v1.ResourceRequirements'].properties.limits;
    assert.deepEqual(limits.additionalProperties, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
    const targetPort = s['io.k8s.api.core.v1.ServicePort'].properties.targetPort;
    assert.equal(targetPort.allOf[0].$ref, '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    assert.equal(targetPort.default, undefined);
    const condition = s['io.k8s.api.core.v1.PodCondition'].properties;
    assert.equal(condition.lastTransitionTime.default, undefined);
    assert.equal(condition.type.default, '');
    const meta = s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties;
    assert.equal(meta.finalizers['x-kubernetes-list-type'], 'set');
    assert.deepEqual(meta.ownerReferences['x-kubernetes-list-map-keys'], ['uid']);
    assert.match(meta.creationTimestamp.description, /\n\nPopulated by the system\./);
    assert.deepEqual(s['io.k8s.apimachinery.pkg.apis.meta.v1.Status']['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Status' }]);
    const deleteKinds = s['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']['x-kubernetes-group-version-kind'];
    assert.ok(deleteKinds.some((k: any) => k.group === 'apps' && k.version === 'v1' && k.kind === 'DeleteOptions'));
  });
});

void describe('OpenAPI v3 and a changing registry', () => {
  const widget: ResourceType = {
    group: 'example.com',
    version: 'v1',
    kind: 'Widget',
    listKind: 'WidgetList',
    plural: 'widgets',
    singular: 'widget',
    namespaced: true,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
    schemaType: 'com.example.v1.Widget',
  };

  void it('notices new resource types, giving kinds without a schema a permissive one', () => {
    const r = newRegistry();
    const before = openAPIRoot(r);
    assert.equal(before.paths['apis/example.com/v1'], undefined);
    r.add(widget);
    const after = openAPIRoot(r);
    assert.ok(after.paths['apis/example.com/v1']);
    assert.ok(after.paths['apis/example.com']);
    // DeleteOptions and WatchEvent list every served group version, so the core document changed too.
    assert.notEqual(after.paths['api/v1']!.serverRelativeURL, before.paths['api/v1']!.serverRelativeURL);
    const d = doc('apis/example.com/v1', r);
    const patch = d.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'].patch;
    assert.equal(patch.operationId, 'patchExampleComV1NamespacedWidget');
    assert.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation'));
    // As upstream for custom resources: no strategic merge patch, so kubectl's apply sends a JSON merge patch.
    assert.deepEqual(Object.keys(patch.requestBody.content).sort(), ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json']);
    const schema = d.components.schemas['com.example.v1.Widget'];
    assert.equal(schema['x-kubernetes-preserve-unknown-fields'], true);
    assert.deepEqual(schema['x-kubernetes-group-version-kind'], [{ group: 'example.com', version: 'v1', kind: 'Widget' }]);
    assert.equal(deref(d, d.components.schemas['com.example.v1.WidgetList'].properties.items.items), schema);
  });

  void it('invalidate() drops the cached documents', () => {
    const r = newRegistry();
    const first = get('/openapi/v3', { registry: r }).body;
    assert.equal(get('/openapi/v3', { registry: r }).body, first, 'cached');
    invalidate(r);
    const rebuilt = get('/openapi/v3', { registry: r }).body;
    assert.notEqual(rebuilt, first, 'rebuilt');
    assert.deepEqual(rebuilt, first, 'same content');
    invalidate();
    assert.notEqual(get('/openapi/v3', { registry: r }).body, rebuilt);
  });
});
