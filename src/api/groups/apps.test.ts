import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject, ResourceType } from '../types.ts';
import { resources } from './apps.ts';

const type = (plural: string): ResourceType => resources.find((r) => r.plural === plural)!;

/** What `kubectl create deployment nginx --image=nginx` sends (decoded from its protobuf body). */
function kubectlDeployment(): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', labels: { app: 'nginx' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'nginx' } },
      template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] } },
      strategy: {},
    },
    status: {},
  };
}

function create(t: ResourceType, obj: KObject): KObject {
  t.defaults?.(obj);
  t.prepareForCreate?.(obj, {});
  return obj;
}

describe('Deployment', () => {
  it('defaults a kubectl-created Deployment exactly as upstream stores it', () => {
    const got = create(type('deployments'), kubectlDeployment());
    // The spec and status of the same Deployment as returned by a 1.35 kube-apiserver.
    assert.deepEqual(got['spec'], {
      progressDeadlineSeconds: 600,
      replicas: 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'nginx' } },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: {
          containers: [
            {
              image: 'nginx',
              imagePullPolicy: 'Always',
              name: 'nginx',
              resources: {},
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
        },
      },
    });
    assert.deepEqual(got['status'], {});
    assert.deepEqual(type('deployments').validateCreate!(got), []);
  });

  it('keeps explicit values and pulls tagged images only when absent', () => {
    const d = kubectlDeployment();
    d['spec'].replicas = 3;
    d['spec'].strategy = { type: 'Recreate' };
    d['spec'].template.spec.containers[0].image = 'nginx:1.27';
    const got = create(type('deployments'), d);
    assert.equal(got['spec'].replicas, 3);
    assert.deepEqual(got['spec'].strategy, { type: 'Recreate' });
    assert.equal(got['spec'].template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  });

  it('reports invalid names and images with upstream messages', () => {
    const d = create(type('deployments'), kubectlDeployment());
    d.metadata!.name = 'Bad_Name';
    d['spec'].template.spec.containers[0].image = '';
    d['spec'].template.metadata.labels = { app: 'other' };
    assert.deepEqual(type('deployments').validateCreate!(d).map((e) => e.message), [
      `metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      'spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
      'spec.template.spec.containers[0].image: Required value',
    ]);
  });

  it('rejects a strategy whose surge and unavailability are both zero', () => {
    const d = create(type('deployments'), kubectlDeployment());
    d['spec'].strategy.rollingUpdate = { maxSurge: 0, maxUnavailable: '0%' };
    assert.deepEqual(type('deployments').validateCreate!(d).map((e) => e.message), [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
    ]);
  });

  it('keeps spec.selector immutable', () => {
    const t = type('deployments');
    const old = create(t, kubectlDeployment());
    old.metadata!.resourceVersion = '7';
    const next = structuredClone(old);
    next['spec'].selector = { matchLabels: { app: 'web' } };
    next['spec'].template.metadata.labels = { app: 'web' };
    const errs = t.validateUpdate!(next, old);
    assert.deepEqual(errs.map((e) => e.message), ['spec.selector: Invalid value: {"matchLabels":{"app":"web"}}: field is immutable']);
    assert.equal(errs[0]!.reason, 'FieldValueInvalid');
  });

  it('keeps status on a main-resource update', () => {
    const t = type('deployments');
    const old = create(t, kubectlDeployment());
    old['status'] = { replicas: 1, readyReplicas: 1 };
    const next = structuredClone(old);
    next['status'] = { replicas: 99 };
    t.prepareForUpdate!(next, old, {});
    assert.deepEqual(next['status'], { replicas: 1, readyReplicas: 1 });
  });
});

describe('ReplicaSet, DaemonSet, StatefulSet', () => {
  const workload = (kind: string): KObject => ({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: 'w', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'w' } },
      template: { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
    },
  });

  it('fill in upstream defaults and initial status', () => {
    const rs = create(type('replicasets'), workload('ReplicaSet'));
    assert.equal(rs['spec'].replicas, 1);
    assert.deepEqual(rs['status'], { replicas: 0 });
    const ds = create(type('daemonsets'), workload('DaemonSet'));
    assert.deepEqual(ds['spec'].updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(ds['spec'].revisionHistoryLimit, 10);
    assert.deepEqual(ds['status'], { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 });
    const sts = create(type('statefulsets'), workload('StatefulSet'));
    assert.equal(sts['spec'].podManagementPolicy, 'OrderedReady');
    assert.deepEqual(sts['spec'].updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(sts['spec'].persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.equal(sts['spec'].replicas, 1);
    for (const [plural, obj] of [['replicasets', rs], ['daemonsets', ds], ['statefulsets', sts]] as const) {
      assert.deepEqual(type(plural).validateCreate!(obj), [], plural);
    }
  });

  it('forbid StatefulSet spec changes beyond the mutable fields', () => {
    const t = type('statefulsets');
    const old = create(t, workload('StatefulSet'));
    old.metadata!.resourceVersion = '3';
    const scaled = structuredClone(old);
    scaled['spec'].replicas = 5;
    assert.deepEqual(t.validateUpdate!(scaled, old), []);
    const renamed = structuredClone(old);
    renamed['spec'].serviceName = 'other';
    assert.deepEqual(t.validateUpdate!(renamed, old).map((e) => e.message), [
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });

  it('rejects an empty DaemonSet selector and a non-Always restart policy', () => {
    const ds = create(type('daemonsets'), workload('DaemonSet'));
    ds['spec'].selector = {};
    ds['spec'].template.spec.restartPolicy = 'Never';
    assert.deepEqual(type('daemonsets').validateCreate!(ds).map((e) => e.message), [
      'spec.selector: Invalid value: {}: empty selector is invalid for daemonset',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });
});

describe('apps discovery metadata', () => {
  it('matches upstream discovery', () => {
    const d = type('deployments');
    assert.deepEqual(
      { kind: d.kind, singular: d.singular, namespaced: d.namespaced, shortNames: d.shortNames, categories: d.categories, subresources: d.subresources, schemaType: d.schemaType },
      { kind: 'Deployment', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['scale', 'status'], schemaType: 'io.k8s.api.apps.v1.Deployment' },
    );
    assert.deepEqual(type('controllerrevisions').shortNames, undefined);
    assert.deepEqual(type('daemonsets').subresources, ['status']);
    assert.deepEqual(type('statefulsets').scale, { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' });
  });
});
