import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldSchema, JsonField } from '../../api/schema.ts';
import type { KObject } from '../../api/types.ts';
import { StatusError } from '../status.ts';
import { PANIC_MESSAGE, StrategicMergePatchError, applyStrategicMergePatch } from './strategic.ts';
import type { PatchSchema } from './strategic.ts';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';
const CONFIGMAP = 'io.k8s.api.core.v1.ConfigMap';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function deployment(): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, finalizers: ['a', 'b'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'cfg', configMap: { name: 'web-config' } },
          ],
          containers: [
            {
              name: 'web',
              image: 'nginx:1.27',
              ports: [
                { containerPort: 80, protocol: 'TCP' },
                { containerPort: 443, protocol: 'TCP' },
              ],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
            { name: 'sidecar', image: 'busybox', args: ['sleep', 'inf'] },
          ],
          tolerations: [{ key: 'k1', operator: 'Exists' }],
        },
      },
    },
  };
}

/** Applies to a frozen Deployment (so a mutation would throw). */
function patchDeployment(patch: unknown): KObject {
  return applyStrategicMergePatch(deepFreeze(deployment()), deepFreeze(patch), DEPLOYMENT);
}

function podSpec(obj: KObject): Record<string, any> {
  return obj.spec.template.spec;
}

function catchError(fn: () => unknown): StrategicMergePatchError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StrategicMergePatchError, `expected StrategicMergePatchError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

describe('applyStrategicMergePatch: what kubectl 1.35 sends', () => {
  it('kubectl set image: merges the container by name and keeps the order and the other containers', () => {
    const out = patchDeployment({
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }], containers: [{ image: 'nginx:1.28', name: 'web' }] } } },
    });
    const want = deployment();
    podSpec(want).containers[0].image = 'nginx:1.28';
    assert.deepEqual(out, want);
  });

  it('kubectl apply (client-side): last-applied annotation, replicas, image; ports kept', () => {
    const lastApplied =
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"web"},"name":"web","namespace":"default"},"spec":{"replicas":3}}\n';
    const out = patchDeployment({
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
      spec: { replicas: 3, template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ image: 'nginx:1.28', name: 'web' }] } } },
    });
    assert.deepEqual(out.metadata?.annotations, { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied });
    assert.equal(out.spec.replicas, 3);
    // The sidecar is not in $setElementOrder: it stays, after the listed container.
    assert.deepEqual(podSpec(out).containers.map((c: any) => `${c.name}=${c.image}`), ['web=nginx:1.28', 'sidecar=busybox']);
    assert.deepEqual(podSpec(out).containers[0].ports, podSpec(deployment()).containers[0].ports);
  });

  it('kubectl apply of a ConfigMap: data merged, annotation added', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'default' }, data: { key: 'value', other: 'x' } };
    const out = applyStrategicMergePatch(cm, { data: { key: 'value2' }, metadata: { annotations: { a: 'b' } } }, CONFIGMAP);
    assert.deepEqual(out, { ...cm, metadata: { ...cm.metadata, annotations: { a: 'b' } }, data: { key: 'value2', other: 'x' } });
  });

  it('kubectl diff: resourceVersion in the patch is just a field', () => {
    const out = patchDeployment({ metadata: { resourceVersion: '1044' }, spec: { replicas: 2 } });
    assert.equal(out.metadata?.resourceVersion, '1044');
  });

  it('kubectl edit: spec and status fields', () => {
    const out = patchDeployment({ spec: { replicas: 1 }, status: { replicas: 1 } });
    assert.equal(out.spec.replicas, 1);
    assert.deepEqual(out.status, { replicas: 1 });
  });
});

describe('applyStrategicMergePatch: merge keys and strategies from the schema', () => {
  it('merges env by name and ports by containerPort (new ones first, as upstream orders them)', () => {
    const out = patchDeployment({
      spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 8080 }], env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } } },
    });
    const web = podSpec(out).containers[0];
    assert.deepEqual(web.env, [
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
    assert.deepEqual(web.ports, [
      { containerPort: 8080 },
      { containerPort: 80, protocol: 'TCP' },
      { containerPort: 443, protocol: 'TCP' },
    ]);
  });

  it('deletes an env var by name and adds a volumeMount by mountPath', () => {
    const out = patchDeployment({
      spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'A', $patch: 'delete' }], volumeMounts: [{ mountPath: '/cfg', name: 'cfg' }] }] } } },
    });
    const web = podSpec(out).containers[0];
    assert.deepEqual(web.env, [{ name: 'B', value: '2' }]);
    assert.deepEqual(web.volumeMounts, [
      { mountPath: '/cfg', name: 'cfg' },
      { name: 'data', mountPath: '/data' },
    ]);
  });

  it('deletes a port by containerPort', () => {
    const out = patchDeployment({ spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80, $patch: 'delete' }] }] } } } });
    assert.deepEqual(podSpec(out).containers[0].ports, [{ containerPort: 443, protocol: 'TCP' }]);
  });

  it('replaces tolerations (no patch strategy: atomic list)', () => {
    const out = patchDeployment({ spec: { template: { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] } } } });
    assert.deepEqual(podSpec(out).tolerations, [{ key: 'k2', operator: 'Exists' }]);
  });

  it('merges volumes by name, with $retainKeys switching the volume source', () => {
    const out = patchDeployment({
      spec: { template: { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'configMap'], configMap: { name: 'other' } }] } } },
    });
    assert.deepEqual(podSpec(out).volumes, [
      { name: 'data', configMap: { name: 'other' } },
      { name: 'cfg', configMap: { name: 'web-config' } },
    ]);
  });

  it('merges maps recursively and deletes with null; nulls inside new values are dropped', () => {
    const out = patchDeployment({ spec: { replicas: null, selector: { matchLabels: { tier: 'web' } }, template: { spec: { nodeSelector: { disk: 'ssd', gone: null } } } } });
    assert.equal('replicas' in out.spec, false);
    assert.deepEqual(out.spec.selector, { matchLabels: { app: 'web', tier: 'web' } });
    assert.deepEqual(podSpec(out).nodeSelector, { disk: 'ssd' });
  });

  it('adds to finalizers (merge list of scalars) and dedupes', () => {
    assert.deepEqual(patchDeployment({ metadata: { finalizers: ['c', 'a'] } }).metadata?.finalizers, ['c', 'a', 'b']);
  });
});

describe('applyStrategicMergePatch: directives', () => {
  it('$retainKeys on Deployment strategy: RollingUpdate → Recreate drops rollingUpdate', () => {
    const out = patchDeployment({ spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
    assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
    // Without the directive the old rollingUpdate block stays (and validation would reject it).
    const plain = patchDeployment({ spec: { strategy: { type: 'Recreate' } } });
    assert.deepEqual(plain.spec.strategy, { type: 'Recreate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  });

  it('$deleteFromPrimitiveList on finalizers', () => {
    assert.deepEqual(patchDeployment({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }).metadata?.finalizers, ['b']);
    const both = patchDeployment({ metadata: { '$setElementOrder/finalizers': ['b', 'c'], '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['c'] } });
    assert.deepEqual(both.metadata?.finalizers, ['b', 'c']);
  });

  it('$patch: delete removes a container by name', () => {
    const out = patchDeployment({ spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } });
    assert.deepEqual(podSpec(out).containers.map((c: any) => c.name), ['web']);
  });

  it('$patch: replace on a map takes the map as given', () => {
    const out = patchDeployment({ spec: { template: { metadata: { labels: { $patch: 'replace', tier: 'front' } } } } });
    assert.deepEqual(out.spec.template.metadata.labels, { tier: 'front' });
  });

  it('$patch: delete on a map leaves it empty', () => {
    assert.deepEqual(patchDeployment({ spec: { selector: { $patch: 'delete' } } }).spec.selector, {});
  });

  it('$patch: replace in a list replaces the whole list', () => {
    const out = patchDeployment({ spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } } } });
    assert.deepEqual(podSpec(out).containers, [{ name: 'only', image: 'x' }]);
  });

  it('$setElementOrder reorders the merged list', () => {
    const out = patchDeployment({ spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }] } } } });
    assert.deepEqual(podSpec(out).containers.map((c: any) => c.name), ['sidecar', 'web']);
  });

  it('$setElementOrder after a delete and an add orders as upstream (server-only elements by the reused storage)', () => {
    // Live [web, sidecar, extra]; kubectl replaces sidecar by db: upstream yields [extra, db, web].
    const obj = deployment();
    podSpec(obj).containers.push({ name: 'extra', image: 'e' });
    const out = applyStrategicMergePatch(obj, {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'db' }, { name: 'web' }], containers: [{ name: 'db', image: 'postgres' }, { name: 'sidecar', $patch: 'delete' }] } } },
    }, DEPLOYMENT);
    assert.deepEqual(podSpec(out).containers.map((c: any) => c.name), ['extra', 'db', 'web']);
  });

  it('a value new to the original loses its "$patch" maps (upstream drops them)', () => {
    const out = patchDeployment({ metadata: { annotations: { $patch: 'replace', a: 'b' } } });
    assert.equal('annotations' in (out.metadata ?? {}), false);
  });

  it('keeps unknown fields that only the patch has (decoding deals with them)', () => {
    assert.deepEqual(patchDeployment({ spec: { bogus: { a: 1 } } }).spec.bogus, { a: 1 });
  });

  it('a null patch changes nothing; the result shares nothing with the input', () => {
    const original = deployment();
    const out = applyStrategicMergePatch(original, null, DEPLOYMENT);
    assert.deepEqual(out, original);
    podSpec(out).containers[0].image = 'changed';
    assert.equal(podSpec(original).containers[0].image, 'nginx:1.27');
  });
});

describe('applyStrategicMergePatch: errors as upstream reports them', () => {
  const cases: Array<{ name: string; patch: unknown; message: string; code: number; reason: string }> = [
    { name: 'unknown $patch in a map', patch: { metadata: { labels: { $patch: 'foo', a: 'b' } } }, message: 'unknown patch type: foo in map: map[$patch:foo a:b]', code: 500, reason: '' },
    { name: 'non-string $patch', patch: { metadata: { labels: { $patch: 1 } } }, message: 'unknown patch type: %!s(int64=1) in map: map[$patch:1]', code: 500, reason: '' },
    { name: '$patch: merge in a map', patch: { spec: { $patch: 'merge' } }, message: 'unknown patch type: merge in map: map[$patch:merge]', code: 500, reason: '' },
    {
      name: 'unknown $patch in a list element',
      patch: { spec: { template: { spec: { containers: [{ name: 'web', $patch: 'bogus' }] } } } },
      message: 'unknown patch type: bogus in map: map[$patch:bogus name:web]',
      code: 500,
      reason: '',
    },
    {
      name: '$patch: merge in a list element',
      patch: { spec: { template: { spec: { containers: [{ name: 'web', $patch: 'merge' }] } } } },
      message: 'merging lists cannot yet be specified in the patch',
      code: 500,
      reason: '',
    },
    {
      name: 'a patch field missing from $retainKeys',
      patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 1 } } } },
      message: 'invalid patch format of retainKeys',
      code: 400,
      reason: 'BadRequest',
    },
    { name: '$retainKeys not a list', patch: { spec: { strategy: { $retainKeys: 'type' } } }, message: 'invalid patch format of retainKeys', code: 400, reason: 'BadRequest' },
    { name: '$setElementOrder without a slash', patch: { metadata: { $setElementOrderfinalizers: ['a'] } }, message: 'invalid patch format of setElementOrder list', code: 400, reason: 'BadRequest' },
    { name: '$setElementOrder not a list', patch: { metadata: { '$setElementOrder/finalizers': 'a' } }, message: 'expected a []interface {}, but received a string', code: 500, reason: '' },
    {
      name: '$deleteFromPrimitiveList without a slash',
      patch: { metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } },
      message: 'invalid patch format of primitive list',
      code: 400,
      reason: 'BadRequest',
    },
    {
      name: 'patch list out of $setElementOrder',
      patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ name: 'sidecar', image: 'y' }] } } } },
      message: "The order in patch list:\n[map[image:y name:sidecar]]\n doesn't match $setElementOrder list:\n[map[name:web]]\n",
      code: 500,
      reason: '',
    },
    {
      name: 'an element without its merge key',
      patch: { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
      message: 'map: map[image:x] does not contain declared merge key: name',
      code: 500,
      reason: '',
    },
    { name: 'mixed element types', patch: { metadata: { finalizers: [1] } }, message: 'list element types are not identical: [[a b] [1]]', code: 500, reason: '' },
    { name: 'a patch that is not an object', patch: ['x'], message: 'json: cannot unmarshal array into Go value of type map[string]interface {}', code: 400, reason: 'BadRequest' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const err = catchError(() => patchDeployment(c.patch));
      assert.equal(err.message, c.message);
      assert.equal(err.code, c.code);
      assert.equal(err.reason, c.reason);
      assert.equal(err.name, 'StrategicMergePatchError');
    });
  }

  it('a field unknown to the schema in both documents cannot be merged', () => {
    const obj = deployment();
    obj.spec.bogus = { a: 1 };
    const err = catchError(() => applyStrategicMergePatch(obj, { spec: { bogus: { a: 2 } } }, DEPLOYMENT));
    assert.equal(err.message, 'unable to find api field in struct DeploymentSpec for the json field "bogus"');
    assert.equal(err.code, 500);
  });

  it('refuses types outside the schema (custom resources)', () => {
    const err = catchError(() => applyStrategicMergePatch({ apiVersion: 'example.com/v1', kind: 'Widget' }, { spec: {} }, 'com.example.v1.Widget'));
    assert.equal(err.message, 'strategic merge patch format is not supported');
    assert.equal(err.code, 400);
  });

  it('toStatusError: 400 keeps the message, 422 answers with the generic text, others 500', () => {
    const bad = catchError(() => patchDeployment({ metadata: { $deleteFromPrimitiveListx: [] } })).toStatusError();
    assert.ok(bad instanceof StatusError);
    assert.deepEqual(bad.toStatus(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'invalid patch format of primitive list', reason: 'BadRequest', code: 400 });

    const invalid = catchError(() => applyStrategicMergePatch({ metadata: { finalizers: [] } }, { metadata: { finalizers: [['x']] } }, DEPLOYMENT));
    assert.equal(invalid.message, 'lists of lists are not supported');
    assert.equal(invalid.code, 422);
    const invalidStatus = invalid.toStatusError().toStatus();
    assert.equal(invalidStatus.code, 422);
    assert.equal(invalidStatus.reason, 'Invalid');
    assert.equal(invalidStatus.message, 'the server rejected our request due to an error in our request');
    assert.deepEqual(invalidStatus.details, {});

    const internal = catchError(() => patchDeployment({ spec: { $patch: 'x' } })).toStatusError();
    assert.equal(internal.code, 500);
    assert.equal(internal.message, 'unknown patch type: x in map: map[$patch:x]');
  });

  it('where upstream panics ($setElementOrder on a list without merge key), the error says so', () => {
    const err = catchError(() => patchDeployment({ spec: { template: { spec: { '$setElementOrder/tolerations': [{ key: 'k1' }], tolerations: [{ key: 'k1' }] } } } }));
    assert.equal(err.goPanic, true);
    assert.equal(err.message, 'runtime error: comparing uncomparable type map[string]interface {}');
    assert.deepEqual(err.toStatusError().toStatus().message, PANIC_MESSAGE);
    assert.equal(err.toStatusError().code, 500);
  });
});

// Cases from upstream's strategicpatch tests, over a small schema of the same shape as theirs.
describe('applyStrategicMergePatch: upstream table cases', () => {
  const ITEM = 'test.Item';
  const KEEP = 'test.RetainItem';
  const fields = (o: Record<string, FieldSchema>) => new Map<string, JsonField>(Object.entries(o).map(([name, f]) => [name, { ...f, name }]));
  const types: Record<string, Map<string, JsonField>> = {
    [ITEM]: fields({
      name: { type: 'string' },
      value: { type: 'string' },
      other: { type: 'string' },
      mergingList: { type: { list: ITEM }, patchStrategy: 'merge', patchMergeKey: 'name' },
      nonMergingList: { type: { list: ITEM } },
      mergingIntList: { type: { list: 'int64' }, patchStrategy: 'merge' },
      nonMergingIntList: { type: { list: 'int64' } },
      simpleMap: { type: { map: 'string' } },
      replacingItem: { type: 'raw', patchStrategy: 'replace' },
      retainKeysMap: { type: KEEP, patchStrategy: 'retainKeys' },
      retainKeysMergingList: { type: { list: ITEM }, patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    }),
    [KEEP]: fields({
      name: { type: 'string' },
      value: { type: 'string' },
      other: { type: 'string' },
      simpleMap: { type: { map: 'string' } },
      mergingList: { type: { list: ITEM }, patchStrategy: 'merge', patchMergeKey: 'name' },
    }),
  };
  const schema: PatchSchema = { fields: (fq) => types[fq] };
  const apply = (original: KObject, patch: unknown) => applyStrategicMergePatch(deepFreeze(original), deepFreeze(patch), ITEM, { schema });

  const table: Array<[name: string, original: KObject, patch: unknown, result: KObject]> = [
    ['delete all copies of a scalar, keep a live-only one in place', { mergingIntList: [1, 2, 3, 3, 4] }, { '$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3] }, { mergingIntList: [1, 2, 4] }],
    ['insert a scalar at the front and keep a live-only one between', { mergingIntList: [1, 4, 2] }, { '$setElementOrder/mergingIntList': [3, 1, 2], mergingIntList: [3] }, { mergingIntList: [3, 1, 4, 2] }],
    ['deleting a missing element is harmless', { name: 'hi', mergingList: [{ name: 'hello2' }] }, { mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }] }, { name: 'hi', mergingList: [{ name: 'hello' }, { name: 'hello2' }] }],
    [
      'merge list of maps with a new element in the middle',
      { mergingList: [{ name: '1' }, { name: '2', value: '2' }, { name: '5' }] },
      { '$setElementOrder/mergingList': [{ name: '1' }, { name: '3' }, { name: '2' }], mergingList: [{ name: '3', value: '3' }] },
      { mergingList: [{ name: '1' }, { name: '3', value: '3' }, { name: '2', value: '2' }, { name: '5' }] },
    ],
    [
      '$setElementOrder naming an element absent from both lists',
      { mergingList: [{ name: '1' }, { name: '3' }] },
      { '$setElementOrder/mergingList': [{ name: '3' }, { name: '2' }, { name: '1' }], mergingList: [{ name: '3', value: '3' }, { name: '1', value: '1' }] },
      { mergingList: [{ name: '3', value: '3' }, { name: '1', value: '1' }] },
    ],
    ['$deleteFromPrimitiveList on a list without merge strategy', { nonMergingIntList: [1, 2, 3] }, { '$deleteFromPrimitiveList/nonMergingIntList': [2] }, { nonMergingIntList: [1, 3] }],
    ['$deleteFromPrimitiveList on a missing list adds nothing', { foo: ['bar'] }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, { foo: ['bar'] }],
    [
      '$retainKeys clears the unlisted fields, merging the rest',
      { retainKeysMap: { name: 'foo', value: 'bar', other: 'x', simpleMap: { k: 'v' } } },
      { retainKeysMap: { $retainKeys: ['name', 'value', 'simpleMap'], value: 'baz', simpleMap: { k2: 'v2' } } },
      { retainKeysMap: { name: 'foo', value: 'baz', simpleMap: { k: 'v', k2: 'v2' } } },
    ],
    [
      '$retainKeys in an element of a merge,retainKeys list',
      { retainKeysMergingList: [{ name: 'a', value: '1', other: 'x' }, { name: 'b', value: '2' }] },
      { retainKeysMergingList: [{ name: 'a', $retainKeys: ['name', 'other'], other: 'y' }] },
      { retainKeysMergingList: [{ name: 'a', other: 'y' }, { name: 'b', value: '2' }] },
    ],
    [
      'a field with the replace strategy is replaced, not merged',
      { name: 'my-object', replacingItem: { Old: 'Yaml', Inside: 'RawExtension' } },
      { replacingItem: { Newly: 'Modified', Yaml: 'Inside' } },
      { name: 'my-object', replacingItem: { Newly: 'Modified', Yaml: 'Inside' } },
    ],
    ['nested merging list inside a merging list', { mergingList: [{ name: '1', mergingList: [{ name: 'x', value: '1' }] }] }, { mergingList: [{ name: '1', mergingList: [{ name: 'x', value: '2' }, { name: 'y' }] }] }, { mergingList: [{ name: '1', mergingList: [{ name: 'x', value: '2' }, { name: 'y' }] }] }],
    ['a nonmerging list of maps is replaced', { nonMergingList: [{ name: '1' }, { name: '2' }] }, { nonMergingList: [{ name: '3' }] }, { nonMergingList: [{ name: '3' }] }],
    ['nulls in a new nested map are dropped', {}, { complex: { nested: null, nested2: 'foo' } }, { complex: { nested2: 'foo' } }],
    ['null elements of a new scalar list stay', {}, { complex: ['key1', null, 'key2'] }, { complex: ['key1', null, 'key2'] }],
  ];
  for (const [name, original, patch, result] of table) {
    it(name, () => assert.deepEqual(apply(original, patch), result));
  }

  it('$setElementOrder that disagrees with the patch list is refused', () => {
    const err = catchError(() => apply({ mergingList: [{ name: '1' }] }, { '$setElementOrder/mergingList': [{ name: '1' }, { name: '2' }], mergingList: [{ name: '2' }, { name: '1', value: 'x' }] }));
    assert.match(err.message, /doesn't match \$setElementOrder list/);
  });
});
