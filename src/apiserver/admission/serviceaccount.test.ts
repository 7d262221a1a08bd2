import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { DEFAULT_API_TOKEN_MOUNT_PATH, mountServiceAccountToken, ServiceAccount } from './serviceaccount.ts';
import { attrs, MemoryObjects, pod } from './testutil.ts';

const SA = { group: '', resource: 'serviceaccounts' };
type Obj = Record<string, any>;

const API_ACCESS_VOLUME = {
  projected: {
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
    defaultMode: 420,
  },
};

async function admitted(p: KObject, objects = new MemoryObjects()): Promise<Obj> {
  await new ServiceAccount(objects).admit(attrs('pods', 'CREATE', p));
  return p['spec'] as Obj;
}

function account(name: string, more: Obj = {}): KObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'ns', uid: `${name}-uid` }, ...more };
}

describe('ServiceAccount admission', () => {
  test('defaults the account and mounts the API access volume read-only in every container, init containers first', async () => {
    const p = pod('web', [{ name: 'app' }, { name: 'sidecar' }], { initContainers: [{ name: 'init', image: 'busybox' }] });
    const spec = await admitted(p);
    assert.equal(spec['serviceAccountName'], 'default');
    assert.equal(spec['serviceAccount'], 'default');
    assert.equal(spec['volumes'].length, 1);
    const { name, ...volume } = spec['volumes'][0];
    assert.match(name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(volume, API_ACCESS_VOLUME);
    const mount = { name, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };
    for (const c of [...spec['initContainers'], ...spec['containers']]) assert.deepEqual(c.volumeMounts, [mount], c.name);
  });

  test('keeps what the pod already has and appends after it', async () => {
    const p = pod('web', [{ name: 'app' }]);
    (p['spec'] as Obj)['volumes'] = [{ name: 'data', emptyDir: {} }];
    (p['spec'] as Obj)['containers'][0].volumeMounts = [{ name: 'data', mountPath: '/data' }];
    const spec = await admitted(p);
    assert.deepEqual(spec['volumes'].map((v: Obj) => v['name'].replace(/-\w{5}$/, '-*')), ['data', 'kube-api-access-*']);
    assert.deepEqual(spec['containers'][0].volumeMounts.map((m: Obj) => m['mountPath']), ['/data', DEFAULT_API_TOKEN_MOUNT_PATH]);
  });

  test('a container with its own mount at the token path is left alone; no container needing it, no volume', async () => {
    const own = { name: 'mine', mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };
    const p = pod('web', [{ name: 'a' }, { name: 'b' }]);
    (p['spec'] as Obj)['containers'][0].volumeMounts = [own];
    const spec = await admitted(p);
    assert.deepEqual(spec['containers'][0].volumeMounts, [own]);
    assert.equal(spec['containers'][1].volumeMounts[0].mountPath, DEFAULT_API_TOKEN_MOUNT_PATH);
    assert.equal(spec['volumes'].length, 1);

    const all = pod('all', [{ name: 'a' }]);
    (all['spec'] as Obj)['containers'][0].volumeMounts = [own];
    const untouched = await admitted(all);
    assert.equal(untouched['volumes'], undefined);
  });

  test('automountServiceAccountToken: the pod decides first, then the account', async () => {
    const objects = new MemoryObjects();
    objects.put(SA, account('quiet', { automountServiceAccountToken: false }));
    objects.put(SA, account('loud', { automountServiceAccountToken: true }));

    const podOff = await admitted(pod('a', [{ name: 'c' }], { automountServiceAccountToken: false }), objects);
    assert.equal(podOff['volumes'], undefined);
    assert.equal(podOff['containers'][0].volumeMounts, undefined);

    const saOff = await admitted(pod('b', [{ name: 'c' }], { serviceAccountName: 'quiet' }), objects);
    assert.equal(saOff['volumes'], undefined);

    const podOverrides = await admitted(pod('c', [{ name: 'c' }], { serviceAccountName: 'quiet', automountServiceAccountToken: true }), objects);
    assert.equal(podOverrides['volumes'].length, 1);

    const loud = await admitted(pod('d', [{ name: 'c' }], { serviceAccountName: 'loud' }), objects);
    assert.equal(loud['volumes'].length, 1);
  });

  test('the account is also read from storage when the cache has not seen it yet', async () => {
    const objects = new MemoryObjects();
    objects.liveOnly.set(MemoryObjects.key(SA, 'ns', 'fresh'), account('fresh', { automountServiceAccountToken: false }));
    const spec = await admitted(pod('a', [{ name: 'c' }], { serviceAccountName: 'fresh' }), objects);
    assert.equal(spec['volumes'], undefined);
  });

  test("takes the account's imagePullSecrets when the pod has none", async () => {
    const objects = new MemoryObjects();
    objects.put(SA, account('puller', { imagePullSecrets: [{ name: 'regcred' }] }));
    const given = await admitted(pod('a', [{ name: 'c' }], { serviceAccountName: 'puller' }), objects);
    assert.deepEqual(given['imagePullSecrets'], [{ name: 'regcred' }]);
    const own = await admitted(pod('b', [{ name: 'c' }], { serviceAccountName: 'puller', imagePullSecrets: [{ name: 'mine' }] }), objects);
    assert.deepEqual(own['imagePullSecrets'], [{ name: 'mine' }]);
  });

  test('mirror pods and other resources are not touched', async () => {
    const mirror = pod('static', [{ name: 'c' }]);
    mirror.metadata!.annotations = { 'kubernetes.io/config.mirror': 'x' };
    const spec = await admitted(mirror);
    assert.equal(spec['serviceAccountName'], undefined);
    assert.equal(spec['volumes'], undefined);
    const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } };
    await new ServiceAccount(new MemoryObjects()).admit(attrs('configmaps', 'CREATE', cm));
    assert.equal(cm['spec'], undefined);
  });

  test('a pod recreated from its own dump keeps its kube-api-access volume instead of gaining a second', () => {
    const spec: Obj = { volumes: [{ name: 'kube-api-access-abcde', ...API_ACCESS_VOLUME }], containers: [{ name: 'c' }] };
    mountServiceAccountToken(spec, () => assert.fail('no new name needed'));
    assert.equal(spec['volumes'].length, 1);
    assert.deepEqual(spec['containers'][0].volumeMounts, [{ name: 'kube-api-access-abcde', readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH }]);
  });
});
