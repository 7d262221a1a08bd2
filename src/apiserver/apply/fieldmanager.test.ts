import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultDeployment } from '../../api/groups/apps.ts';
import type { KObject } from '../../api/types.ts';
import {
  applyObject,
  atomForCustomResource,
  conflictStatus,
  fieldsOf,
  FieldSet,
  managerOrUserAgent,
  pathToString,
  updateManagedFields,
  type ApplyOptions,
  type ManagedFieldsEntry,
  type WriteOptions,
} from './index.ts';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';
const CONFIGMAP = 'io.k8s.api.core.v1.ConfigMap';
const T0 = '2026-01-10T10:00:00Z';
const T1 = '2026-01-10T10:05:00Z';
const T2 = '2026-01-10T10:10:00Z';
const mainResource = { apiVersion: 'apps/v1', resetFields: [['status']] } as const;

function entries(obj: KObject): ManagedFieldsEntry[] {
  return (obj.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
}

function entry(obj: KObject, manager: string, subresource?: string): ManagedFieldsEntry | undefined {
  return entries(obj).find((e) => e.manager === manager && e.subresource === subresource);
}

function owned(obj: KObject, manager: string): string[] {
  const e = entry(obj, manager);
  return e ? FieldSet.fromFieldsV1(e.fieldsV1).paths().map(pathToString) : [];
}

/** What the API server stores after a write: the request object, with identity filled in. */
function stored(obj: KObject, rv: number): KObject {
  const meta = { ...obj.metadata, namespace: 'default', uid: 'c0ffee00-0000-4000-8000-000000000001', resourceVersion: String(rv), creationTimestamp: T0 };
  return { ...obj, metadata: meta };
}

function update(live: KObject | undefined, obj: KObject, manager: string, time: string, extra: Partial<WriteOptions> = {}): KObject {
  return updateManagedFields(DEPLOYMENT, live, obj, { ...mainResource, manager, time, ...extra });
}

function apply(live: KObject | undefined, config: KObject, manager: string, time: string, extra: Partial<ApplyOptions> = {}) {
  return applyObject(DEPLOYMENT, live, config, { ...mainResource, kind: 'Deployment', manager, time, ...extra });
}

// What `kubectl create deployment nginx --image=nginx` sends.
function kubectlCreateDeployment(): KObject {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'nginx', creationTimestamp: null, labels: { app: 'nginx' } } as unknown as NonNullable<KObject['metadata']>,
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'nginx' } },
      template: { metadata: { creationTimestamp: null, labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] } },
      strategy: {},
    },
    status: {},
  };
}

function createdByKubectl(): KObject {
  const obj = kubectlCreateDeployment();
  defaultDeployment(obj);
  return stored(update(undefined, obj, 'kubectl-create', T0), 1);
}

function deploymentConfig(overrides: { replicas?: number; image?: string; labels?: Record<string, string>; containers?: unknown[] } = {}): KObject {
  const spec: Record<string, unknown> = {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: overrides.containers ?? [{ name: 'web', image: overrides.image ?? 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
    },
  };
  if (overrides.replicas !== undefined) spec['replicas'] = overrides.replicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: overrides.labels ?? { app: 'web' } },
    spec,
  };
}

/** Apply, then store the result as the API server would (identity, defaults). */
function applyAndStore(live: KObject | undefined, config: KObject, manager: string, time: string, rv: number, extra: Partial<ApplyOptions> = {}): KObject {
  const r = apply(live, config, manager, time, extra);
  assert.equal(r.conflicts, undefined, `unexpected conflicts: ${JSON.stringify(r.conflicts)}`);
  const obj = r.object;
  defaultDeployment(obj);
  return stored(obj, rv);
}

describe('updateManagedFields (create, update, patch)', () => {
  it('records what kubectl create deployment sets, as kube-apiserver does', () => {
    const obj = createdByKubectl();
    assert.equal(entries(obj).length, 1);
    // The managedFields a real kube-apiserver returns for `kubectl create deployment nginx --image=nginx`.
    assert.equal(
      JSON.stringify(entries(obj)[0]),
      JSON.stringify({
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:progressDeadlineSeconds': {},
            'f:replicas': {},
            'f:revisionHistoryLimit': {},
            'f:selector': {},
            'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"nginx"}': {
                    '.': {},
                    'f:image': {},
                    'f:imagePullPolicy': {},
                    'f:name': {},
                    'f:resources': {},
                    'f:terminationMessagePath': {},
                    'f:terminationMessagePolicy': {},
                  },
                },
                'f:dnsPolicy': {},
                'f:restartPolicy': {},
                'f:schedulerName': {},
                'f:securityContext': {},
                'f:terminationGracePeriodSeconds': {},
              },
            },
          },
        },
      }),
    );
  });

  it('moves changed fields to the writing manager', () => {
    const live = createdByKubectl();
    const edited = structuredClone(live);
    edited.spec.replicas = 3;
    edited.spec.template.spec.containers[0].image = 'nginx:1.27';
    edited.metadata!.annotations = { note: 'x' };
    const out = update(live, edited, 'kubectl-edit', T1);
    // the annotations map itself is new, so it is owned too (a member before the paths below it)
    assert.deepEqual(owned(out, 'kubectl-edit'), ['.metadata.annotations', '.metadata.annotations.note', '.spec.replicas', '.spec.template.spec.containers[name="nginx"].image']);
    const create = owned(out, 'kubectl-create');
    assert.ok(!create.includes('.spec.replicas'));
    assert.ok(!create.includes('.spec.template.spec.containers[name="nginx"].image'));
    assert.ok(create.includes('.spec.template.spec.containers[name="nginx"].imagePullPolicy'));
    // sorted by operation, then time
    assert.deepEqual(entries(out).map((e) => e.manager), ['kubectl-create', 'kubectl-edit']);
    assert.equal(entry(out, 'kubectl-edit')?.time, T1);
    assert.equal(entry(out, 'kubectl-create')?.time, T0);
  });

  it('keeps the entry and its time when a write changes nothing', () => {
    const live = createdByKubectl();
    const out = update(live, structuredClone(live), 'kubectl-edit', T1);
    assert.deepEqual(out.metadata?.managedFields, live.metadata?.managedFields);
  });

  it('gives a status write its own entry, and a main-resource write no status fields', () => {
    const live = createdByKubectl();
    const withStatus = structuredClone(live);
    withStatus.status = { observedGeneration: 1, replicas: 1 };
    const out = update(live, withStatus, 'kube-controller-manager', T1, { subresource: 'status', resetFields: [['spec']] });
    const e = entry(out, 'kube-controller-manager', 'status');
    assert.equal(e?.subresource, 'status');
    assert.deepEqual(Object.keys(e!), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1', 'subresource']);
    assert.deepEqual(e?.fieldsV1, { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } });

    const viaMain = update(live, withStatus, 'someone', T1);
    assert.equal(entry(viaMain, 'someone'), undefined);
  });

  it('lets a request replace or clear managedFields, except on subresources', () => {
    const live = createdByKubectl();
    const cleared = structuredClone(live);
    cleared.metadata!.managedFields = [];
    assert.equal(update(live, cleared, 'kubectl-edit', T1).metadata?.managedFields, undefined);

    const replaced = structuredClone(live);
    replaced.metadata!.managedFields = [{ manager: 'mine', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:paused': {} } } }];
    assert.deepEqual(entries(update(live, replaced, 'kubectl-edit', T1)).map((e) => e.manager), ['mine']);
    assert.deepEqual(entries(update(live, replaced, 'x', T1, { subresource: 'status', resetFields: [['spec']] })).map((e) => e.manager), ['kubectl-create']);

    // An existing object nobody tracks stays untracked on update.
    const untracked = update(live, cleared, 'kubectl-edit', T1);
    const edited = structuredClone(untracked);
    edited.spec.replicas = 5;
    assert.equal(update(untracked, edited, 'kubectl-edit', T2).metadata?.managedFields, undefined);
  });

  it('folds update managers beyond ten into ancient-changes', () => {
    let live = createdByKubectl();
    for (let i = 0; i < 11; i++) {
      const next = structuredClone(live);
      next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), [`a${i}`]: 'x' };
      live = stored(update(live, next, `writer-${String(i).padStart(2, '0')}`, `2026-01-10T11:${String(i).padStart(2, '0')}:00Z`), i + 2);
    }
    const managers = entries(live).map((e) => e.manager);
    assert.equal(managers.length, 10);
    assert.ok(managers.includes('ancient-changes'));
    assert.ok(!managers.includes('kubectl-create') && !managers.includes('writer-00'));
    const ancient = owned(live, 'ancient-changes');
    assert.ok(ancient.includes('.spec.replicas') && ancient.includes('.metadata.annotations.a0'));
    assert.equal(entry(live, 'ancient-changes')?.time, '2026-01-10T11:01:00Z');
  });

  it('takes the manager from the user agent when the request names none', () => {
    assert.equal(managerOrUserAgent('', 'kubectl/v1.35.0 (linux/amd64) kubernetes/abc'), 'kubectl');
    assert.equal(managerOrUserAgent('helm', 'Helm/4.0'), 'helm');
    assert.equal(managerOrUserAgent(undefined, 'x'.repeat(200)).length, 128);
  });
});

describe('applyObject (server-side apply)', () => {
  it('creates an object owned by the applier', () => {
    const r = apply(undefined, deploymentConfig({ replicas: 2 }), 'kubectl', T0);
    assert.equal(r.conflicts, undefined);
    assert.equal(r.changed, true);
    assert.equal(r.object.spec.replicas, 2);
    assert.equal(r.object.spec.template.spec.containers[0].image, 'nginx:1.27');
    assert.equal(r.object.metadata?.name, 'web');
    assert.equal(JSON.stringify(entries(r.object)), JSON.stringify([{
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"web"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                },
              },
            },
          },
        },
      },
    }]));
  });

  it('changes nothing when the same configuration is applied again', () => {
    const live = applyAndStore(undefined, deploymentConfig({ replicas: 2 }), 'kubectl', T0, 1);
    const r = apply(live, deploymentConfig({ replicas: 2 }), 'kubectl', T1);
    assert.equal(r.conflicts, undefined);
    assert.equal(r.changed, false);
    assert.equal(JSON.stringify(r.object), JSON.stringify(live));
    assert.equal(entry(r.object, 'kubectl')?.time, T0);
  });

  it('removes fields the applier stopped applying, unless someone else owns them', () => {
    let live = applyAndStore(undefined, deploymentConfig({ replicas: 2, labels: { app: 'web', tier: 'front', team: 'a' } }), 'kubectl', T0, 1);
    // another manager also sets the team label
    const edited = structuredClone(live);
    edited.metadata!.labels = { ...edited.metadata!.labels, team: 'b' };
    live = stored(update(live, edited, 'kubectl-label', T1), 2);
    const r = apply(live, deploymentConfig({ labels: { app: 'web' } }), 'kubectl', T2);
    assert.equal(r.conflicts, undefined);
    assert.deepEqual(r.object.metadata?.labels, { app: 'web', team: 'b' });
    assert.equal(r.object.spec.replicas, undefined);
    assert.deepEqual(owned(r.object, 'kubectl-label'), ['.metadata.labels.team']);
    assert.ok(!owned(r.object, 'kubectl').includes('.spec.replicas'));
  });

  it('conflicts with an update manager, and force takes the field over', () => {
    let live = applyAndStore(undefined, deploymentConfig({ replicas: 2 }), 'kubectl', T0, 1);
    const scaled = structuredClone(live);
    scaled.spec.replicas = 5;
    live = stored(update(live, scaled, 'kubectl-client-side-apply', T1), 2);

    const r = apply(live, deploymentConfig({ replicas: 3 }), 'kubectl', T2);
    assert.deepEqual(r.conflicts?.map((c) => c.field), ['.spec.replicas']);
    assert.equal(r.changed, false);
    const status = conflictStatus(r.conflicts ?? []).toStatus();
    assert.equal(status.code, 409);
    assert.equal(status.reason, 'Conflict');
    assert.equal(status.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    assert.deepEqual(status.details, {
      causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }],
    });

    // Applying the value the other manager set is not a conflict.
    assert.equal(apply(live, deploymentConfig({ replicas: 5 }), 'kubectl', T2).conflicts, undefined);

    const forced = apply(live, deploymentConfig({ replicas: 3 }), 'kubectl', T2, { force: true });
    assert.equal(forced.conflicts, undefined);
    assert.equal(forced.object.spec.replicas, 3);
    assert.ok(owned(forced.object, 'kubectl').includes('.spec.replicas'));
    assert.equal(entry(forced.object, 'kubectl-client-side-apply'), undefined); // it owned nothing else
  });

  it('lets appliers share a field with the same value, and conflicts when one changes it', () => {
    let live = applyAndStore(undefined, deploymentConfig({ replicas: 2 }), 'alice', T0, 1);
    const shared = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 2 } };
    const r = apply(live, shared, 'bob', T1);
    assert.equal(r.conflicts, undefined);
    assert.equal(r.changed, false);
    assert.deepEqual(owned(r.object, 'bob'), ['.spec.replicas']);
    assert.ok(owned(r.object, 'alice').includes('.spec.replicas'));
    live = stored(r.object, 2);

    const changed = apply(live, { ...shared, spec: { replicas: 4 } }, 'bob', T2);
    assert.deepEqual(changed.conflicts?.map((c) => [c.manager, c.field]), [['{"manager":"alice","operation":"Apply"}', '.spec.replicas']]);
    assert.equal(conflictStatus(changed.conflicts ?? []).message, 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas');

    // alice stops applying replicas: bob still owns it, so the value stays.
    const dropped = apply(live, deploymentConfig(), 'alice', T2);
    assert.equal(dropped.conflicts, undefined);
    assert.equal(dropped.object.spec.replicas, 2);
  });

  it('lists every conflict, grouped by manager, in the message', () => {
    let live = applyAndStore(undefined, deploymentConfig({ replicas: 2 }), 'alice', T0, 1);
    const edited = structuredClone(live);
    edited.spec.replicas = 7;
    edited.spec.template.spec.containers[0].image = 'nginx:1.28';
    live = stored(update(live, edited, 'kubectl-edit', T1), 2);
    const r = apply(live, deploymentConfig({ replicas: 9, image: 'nginx:1.29' }), 'alice', T2);
    assert.equal(
      conflictStatus(r.conflicts ?? []).message,
      'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
    );
  });

  it('merges list-map items by key: each applier keeps its own containers', () => {
    let live = applyAndStore(undefined, deploymentConfig(), 'app-team', T0, 1);
    const sidecar = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'proxy', image: 'envoy:1' }] } } },
    };
    const r = apply(live, sidecar, 'mesh', T1);
    assert.equal(r.conflicts, undefined);
    assert.deepEqual(r.object.spec.template.spec.containers.map((c: { name: string }) => c.name), ['web', 'proxy']);
    assert.deepEqual(owned(r.object, 'mesh'), ['.spec.template.spec.containers[name="proxy"]', '.spec.template.spec.containers[name="proxy"].image', '.spec.template.spec.containers[name="proxy"].name']);
    live = stored(r.object, 2);
    defaultDeployment(live);

    // the app team changes its image: no conflict, the sidecar stays
    const r2 = apply(live, deploymentConfig({ image: 'nginx:1.28' }), 'app-team', T2);
    assert.equal(r2.conflicts, undefined);
    assert.deepEqual(r2.object.spec.template.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`), ['web=nginx:1.28', 'proxy=envoy:1']);
    // defaults the app team never applied survive its re-apply
    assert.equal(r2.object.spec.template.spec.containers[0].terminationMessagePath, '/dev/termination-log');

    // the mesh drops its sidecar
    const { spec: _spec, ...nothing } = sidecar;
    const r3 = apply(stored(r2.object, 3), nothing, 'mesh', T2);
    assert.deepEqual(r3.object.spec.template.spec.containers.map((c: { name: string }) => c.name), ['web']);
    assert.equal(entry(r3.object, 'mesh'), undefined);
  });

  it('keys ports by containerPort and the defaulted protocol', () => {
    const live = applyAndStore(undefined, deploymentConfig(), 'kubectl', T0, 1);
    assert.equal(live.spec.template.spec.containers[0].ports[0].protocol, 'TCP');
    const r = apply(live, deploymentConfig({ containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }] }), 'kubectl', T1);
    assert.equal(r.conflicts, undefined);
    assert.deepEqual(r.object.spec.template.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }]);
    assert.ok(owned(r.object, 'kubectl').includes('.spec.template.spec.containers[name="web"].ports[containerPort=53,protocol="UDP"]'));
  });

  it('treats finalizers as a set', () => {
    const cm = (manager: string, finalizers: string[]): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', finalizers }, data: { k: manager } });
    const opts = (manager: string, time: string): ApplyOptions => ({ manager, apiVersion: 'v1', kind: 'ConfigMap', time });
    const first = applyObject(CONFIGMAP, undefined, cm('a', ['example.com/a', 'example.com/shared']), opts('a', T0)).object;
    const second = applyObject(CONFIGMAP, stored(first, 1), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', finalizers: ['example.com/b', 'example.com/shared'] } }, opts('b', T1));
    assert.equal(second.conflicts, undefined);
    // b's own item goes where b's list puts it relative to the shared one
    assert.deepEqual(second.object.metadata?.finalizers, ['example.com/a', 'example.com/b', 'example.com/shared']);
    assert.deepEqual(entry(second.object, 'b')?.fieldsV1, { 'f:metadata': { 'f:finalizers': { 'v:"example.com/b"': {}, 'v:"example.com/shared"': {} } } });

    // a drops its finalizers: the shared one stays (b owns it), its own goes
    const third = applyObject(CONFIGMAP, stored(second.object, 2), cm('a', []), opts('a', T2));
    assert.deepEqual(third.object.metadata?.finalizers, ['example.com/b', 'example.com/shared']);
  });

  it('does not own status through the main resource', () => {
    const config = { ...deploymentConfig(), status: { replicas: 9 } };
    const r = apply(undefined, config, 'kubectl', T0);
    assert.ok(!owned(r.object, 'kubectl').some((p) => p.startsWith('.status')));
  });

  it('rejects a configuration of another kind, with managedFields, or with undeclared fields', () => {
    assert.throws(() => apply(undefined, { ...deploymentConfig(), kind: 'ReplicaSet' }, 'kubectl', T0), (err: { code: number; message: string }) => {
      assert.equal(err.code, 400);
      assert.equal(err.message, 'invalid object type: apps/v1, Kind=ReplicaSet');
      return true;
    });
    const withMF = deploymentConfig();
    withMF.metadata!.managedFields = [];
    assert.throws(() => apply(undefined, withMF, 'kubectl', T0), /metadata.managedFields must be nil/);
    const bogus = deploymentConfig();
    bogus.spec.bogus = 1;
    assert.throws(() => apply(undefined, bogus, 'kubectl', T0), (err: { code: number; message: string }) => {
      assert.equal(err.code, 500);
      assert.equal(err.message, 'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.bogus: field not declared in schema');
      return true;
    });
    const dup = deploymentConfig({ containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] });
    assert.throws(() => apply(undefined, dup, 'kubectl', T0), /\.spec\.template\.spec\.containers: duplicate entries for key \[name="a"\]/);
  });

  it('lets kubectl take over fields it set with client-side apply', () => {
    const lastApplied = deploymentConfig({ replicas: 2 });
    const created = structuredClone(lastApplied);
    created.metadata!.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(lastApplied)}\n` };
    defaultDeployment(created);
    const live = stored(update(undefined, created, 'kubectl-client-side-apply', T0), 1);

    const r = apply(live, deploymentConfig({ replicas: 3 }), 'kubectl', T1);
    assert.equal(r.conflicts, undefined);
    assert.equal(r.object.spec.replicas, 3);
    assert.ok(owned(r.object, 'kubectl').includes('.spec.replicas'));
    // the annotation now holds the server-side configuration
    const annotation = r.object.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
    assert.equal(JSON.parse(annotation!).spec.replicas, 3);
    assert.ok(annotation!.endsWith('\n'));

    // once someone else changed the field, the annotation no longer vouches for it
    const scaled = structuredClone(live);
    scaled.spec.replicas = 7;
    const live2 = stored(update(live, scaled, 'hpa', T1), 2);
    assert.deepEqual(apply(live2, deploymentConfig({ replicas: 3 }), 'kubectl', T2).conflicts?.map((c) => c.field), ['.spec.replicas']);
    // and only kubectl gets this treatment
    assert.deepEqual(apply(live, deploymentConfig({ replicas: 3 }), 'other', T2).conflicts?.map((c) => c.field), ['.spec.replicas']);
  });

  it('creates ownership for existing untracked objects as before-first-apply', () => {
    const untracked = stored(createdByKubectl(), 1);
    delete untracked.metadata!.managedFields;
    const r = apply(untracked, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx' }, spec: { replicas: 4 } }, 'kubectl', T1);
    assert.deepEqual(r.conflicts?.map((c) => [JSON.parse(c.manager).manager, c.field]), [['before-first-apply', '.spec.replicas']]);
  });

  it('applies custom resources with a schema from their CRD', () => {
    const atom = atomForCustomResource({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            size: { type: 'integer' },
            rules: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['host'], items: { type: 'object', properties: { host: { type: 'string' }, port: { type: 'integer' } } } },
            extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      },
    });
    const opts = (manager: string, time: string): ApplyOptions => ({ manager, apiVersion: 'example.com/v1', kind: 'Widget', time });
    const base = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' } };
    const a = applyObject(atom, undefined, { ...base, spec: { size: 1, rules: [{ host: 'a', port: 1 }], extra: { x: { y: 1 } } } }, opts('a', T0));
    assert.deepEqual(entry(a.object, 'a')?.fieldsV1, { 'f:spec': { 'f:extra': { 'f:x': { '.': {}, 'f:y': {} } }, 'f:rules': { 'k:{"host":"a"}': { '.': {}, 'f:host': {}, 'f:port': {} } }, 'f:size': {} } });
    const b = applyObject(atom, stored(a.object, 1), { ...base, spec: { rules: [{ host: 'b', port: 2 }] } }, opts('b', T1));
    assert.deepEqual(b.object.spec.rules, [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
    assert.throws(() => applyObject(atom, undefined, { ...base, spec: { nope: 1 } }, opts('a', T0)), /\.spec\.nope: field not declared in schema/);
  });

  it('gives creates alike but for identity the same fields, and creates that differ their own', () => {
    const cm = (name: string, data: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', uid: name }, data });
    const write = { manager: 'm', apiVersion: 'v1' };
    const first = updateManagedFields(CONFIGMAP, undefined, cm('a', { x: '1' }), { ...write, time: T0 });
    const second = updateManagedFields(CONFIGMAP, undefined, cm('b', { x: '2' }), { ...write, time: T1 });
    const again = updateManagedFields(CONFIGMAP, undefined, cm('c', { x: '2' }), { ...write, time: T2 });
    assert.deepEqual(entries(first), [{ manager: 'm', operation: 'Update', apiVersion: 'v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:x': {} } } }]);
    assert.deepEqual(entries(second), [{ ...entries(first)[0], time: T1 }]);
    assert.deepEqual(entries(again), [{ ...entries(first)[0], time: T2 }]);
    assert.notEqual(entries(again)[0]?.fieldsV1, entries(second)[0]?.fieldsV1, 'each object gets its own copy');
    assert.deepEqual(owned(updateManagedFields(CONFIGMAP, undefined, cm('d', { y: '2' }), { ...write, time: T2 }), 'm'), ['.data', '.data.y']);
    assert.deepEqual(owned(updateManagedFields(CONFIGMAP, undefined, cm('e', { x: '2' }), { ...write, manager: 'n', time: T2 }), 'n'), ['.data', '.data.x']);
    // A map entry holding undefined is owned (as upstream's typed comparison makes it); such objects are not remembered.
    assert.deepEqual(owned(updateManagedFields(CONFIGMAP, undefined, cm('f', { x: '2', z: undefined }), { ...write, time: T2 }), 'm'), owned(again, 'm').concat(['.data.z']));
  });

  it('gives the field set of an object', () => {
    const set = fieldsOf(DEPLOYMENT, deploymentConfig({ replicas: 1 }));
    assert.ok(set.has([{ field: 'spec' }, { field: 'replicas' }]));
    assert.ok(set.has([{ field: 'metadata' }, { field: 'name' }]));
  });
});
