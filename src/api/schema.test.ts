import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allTypes,
  fieldAtPath,
  isListRef,
  isStructRef,
  jsonField,
  jsonFields,
  parseAPIVersion,
  schemaType,
  typeAtPath,
  typeForGVK,
} from './schema.ts';

test('every kind Skiff serves has a schema type with its group/version/kind', () => {
  const kinds: Array<[string, string, string, string]> = [
    ['', 'v1', 'Pod', 'io.k8s.api.core.v1.Pod'],
    ['', 'v1', 'Namespace', 'io.k8s.api.core.v1.Namespace'],
    ['', 'v1', 'Secret', 'io.k8s.api.core.v1.Secret'],
    ['', 'v1', 'PersistentVolumeClaim', 'io.k8s.api.core.v1.PersistentVolumeClaim'],
    ['apps', 'v1', 'Deployment', 'io.k8s.api.apps.v1.Deployment'],
    ['apps', 'v1', 'ControllerRevision', 'io.k8s.api.apps.v1.ControllerRevision'],
    ['batch', 'v1', 'CronJob', 'io.k8s.api.batch.v1.CronJob'],
    ['coordination.k8s.io', 'v1', 'Lease', 'io.k8s.api.coordination.v1.Lease'],
    ['discovery.k8s.io', 'v1', 'EndpointSlice', 'io.k8s.api.discovery.v1.EndpointSlice'],
    ['events.k8s.io', 'v1', 'Event', 'io.k8s.api.events.v1.Event'],
    ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'io.k8s.api.rbac.v1.ClusterRoleBinding'],
    ['scheduling.k8s.io', 'v1', 'PriorityClass', 'io.k8s.api.scheduling.v1.PriorityClass'],
    ['policy', 'v1', 'PodDisruptionBudget', 'io.k8s.api.policy.v1.PodDisruptionBudget'],
    ['policy', 'v1', 'Eviction', 'io.k8s.api.policy.v1.Eviction'],
    ['autoscaling', 'v1', 'Scale', 'io.k8s.api.autoscaling.v1.Scale'],
    ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler'],
    ['networking.k8s.io', 'v1', 'Ingress', 'io.k8s.api.networking.v1.Ingress'],
    ['storage.k8s.io', 'v1', 'StorageClass', 'io.k8s.api.storage.v1.StorageClass'],
    ['certificates.k8s.io', 'v1', 'CertificateSigningRequest', 'io.k8s.api.certificates.v1.CertificateSigningRequest'],
    ['authentication.k8s.io', 'v1', 'TokenReview', 'io.k8s.api.authentication.v1.TokenReview'],
    ['authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'io.k8s.api.authorization.v1.SelfSubjectAccessReview'],
    ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'],
  ];
  for (const [group, version, kind, fq] of kinds) {
    assert.equal(typeForGVK(group, version, kind), fq, `${group}/${version} ${kind}`);
    assert.deepEqual(schemaType(fq)?.gvk, { group, version, kind });
  }
  assert.equal(typeForGVK('apps', 'v1', 'Pod'), undefined);
  assert.equal(typeForGVK('', 'v2', 'Pod'), undefined);
  assert.equal(schemaType('io.k8s.api.apps.v1.Nope'), undefined);
  assert.equal(schemaType('constructor'), undefined);
});

test('meta/v1 option kinds are accepted in every group version', () => {
  const deleteOptions = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
  assert.equal(typeForGVK('', 'v1', 'DeleteOptions'), deleteOptions);
  assert.equal(typeForGVK('apps', 'v1', 'DeleteOptions'), deleteOptions);
  assert.equal(typeForGVK('meta.k8s.io', 'v1', 'DeleteOptions'), deleteOptions);
  assert.equal(typeForGVK('', 'v1', 'Status'), 'io.k8s.apimachinery.pkg.apis.meta.v1.Status');
});

test('field metadata from tags and markers', () => {
  const podSpec = schemaType('io.k8s.api.core.v1.PodSpec')!;
  assert.deepEqual(podSpec.fields.containers, {
    type: { list: 'io.k8s.api.core.v1.Container' },
    proto: 2,
    patchStrategy: 'merge',
    patchMergeKey: 'name',
    listType: 'map',
    listMapKeys: ['name'],
    required: true,
  });
  assert.equal(podSpec.fields.nodeSelector?.mapType, 'atomic');
  assert.deepEqual(schemaType('io.k8s.api.core.v1.Container')!.fields.ports?.listMapKeys, ['containerPort', 'protocol']);
  assert.equal(schemaType('io.k8s.api.core.v1.Volume')!.fields.VolumeSource?.inline, true);
  assert.equal(schemaType('io.k8s.api.core.v1.ContainerPort')!.fields.protocol?.default, 'TCP');
  assert.equal(schemaType('io.k8s.api.core.v1.ContainerPort')!.fields.protocol?.goType, 'v1.Protocol');
  assert.equal(schemaType('io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference')!.structType, 'atomic');

  const deploymentSpec = schemaType('io.k8s.api.apps.v1.DeploymentSpec')!;
  assert.deepEqual(deploymentSpec.fields.replicas, { type: 'int32', proto: 1, ptr: true, omitempty: true });
  assert.equal(deploymentSpec.fields.strategy?.patchStrategy, 'retainKeys');
  const meta = schemaType('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')!;
  assert.deepEqual(meta.fields.creationTimestamp, { type: 'time', proto: 8, omitempty: true });
  assert.deepEqual(meta.fields.generation, { type: 'int64', proto: 7, omitempty: true });
  assert.equal(meta.fields.uid?.goType, 'types.UID');
  assert.deepEqual(meta.fields.ownerReferences?.listMapKeys, ['uid']);
});

test('named and custom types are resolved', () => {
  assert.deepEqual(schemaType('io.k8s.api.core.v1.Secret')!.fields.data?.type, { map: 'bytes' });
  assert.deepEqual(schemaType('io.k8s.api.core.v1.ConfigMap')!.fields.binaryData?.type, { map: 'bytes' });
  // ResourceList = map[ResourceName]resource.Quantity
  assert.deepEqual(schemaType('io.k8s.api.core.v1.ResourceRequirements')!.fields.limits?.type, { map: 'quantity' });
  assert.equal(schemaType('io.k8s.api.core.v1.ResourceRequirements')!.fields.limits?.goType, 'v1.ResourceList');
  // ExtraValue = []string, a wrapper message in protobuf
  assert.deepEqual(schemaType('io.k8s.api.authentication.v1.UserInfo')!.fields.extra?.type, { map: { list: 'string', wrapped: true } });
  assert.equal(schemaType('io.k8s.api.core.v1.ServicePort')!.fields.targetPort?.type, 'int-or-string');
  assert.equal(schemaType('io.k8s.api.events.v1.Event')!.fields.eventTime?.type, 'microtime');
  assert.equal(schemaType('io.k8s.api.apps.v1.ControllerRevision')!.fields.data?.type, 'raw');
  assert.equal(schemaType('io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry')!.fields.fieldsV1?.type, 'fieldsV1');
  const props = schemaType('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps')!;
  assert.equal(props.fields['x-kubernetes-preserve-unknown-fields']?.type, 'bool');
  assert.equal(props.fields.maximum?.type, 'double');
  assert.equal(props.fields.default?.type, 'raw');
  assert.equal(schemaType(props.fields.items!.type as string)?.json, 'schemaOrArray');
});

test('every referenced type is in the schema and every wire field has a number', () => {
  const refs = (ref: unknown): string[] => {
    if (typeof ref === 'string') return isStructRef(ref) ? [ref] : [];
    const r = ref as { list?: unknown; map?: unknown };
    return refs(r.list ?? r.map);
  };
  let fields = 0;
  for (const [fq, t] of Object.entries(allTypes())) {
    for (const [name, f] of Object.entries(t.fields)) {
      fields++;
      for (const r of refs(f.type)) assert.ok(schemaType(r), `${fq}.${name} refers to missing ${r}`);
      if (!f.inline) assert.ok(f.proto !== undefined || fq.endsWith('meta.v1.TypeMeta'), `${fq}.${name} has no protobuf number`);
    }
  }
  assert.ok(fields > 2000, `${fields} fields`);
});

test('jsonFields flattens inline structs in Go output order', () => {
  const deployment = [...jsonFields('io.k8s.api.apps.v1.Deployment').keys()];
  assert.deepEqual(deployment, ['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  const volume = jsonFields('io.k8s.api.core.v1.Volume');
  assert.equal([...volume.keys()][0], 'name');
  assert.equal(volume.get('hostPath')?.type, 'io.k8s.api.core.v1.HostPathVolumeSource');
  assert.equal(jsonField('io.k8s.api.core.v1.Probe', 'httpGet')?.type, 'io.k8s.api.core.v1.HTTPGetAction');
  assert.equal(jsonField('io.k8s.api.core.v1.Probe', 'ProbeHandler'), undefined);
});

test('typeAtPath and fieldAtPath walk structs, lists and maps', () => {
  const containers = typeAtPath('io.k8s.api.apps.v1.Deployment', ['spec', 'template', 'spec', 'containers']);
  assert.ok(containers && isListRef(containers));
  assert.equal(typeAtPath('io.k8s.api.apps.v1.Deployment', ['spec', 'template', 'spec', 'containers', 0, 'resources', 'limits', 'cpu']), 'quantity');
  assert.equal(typeAtPath('io.k8s.api.apps.v1.Deployment', ['spec', 'nope']), undefined);
  assert.equal(fieldAtPath('io.k8s.api.core.v1.Pod', ['spec', 'containers'])?.patchMergeKey, 'name');
  assert.equal(fieldAtPath('io.k8s.api.core.v1.Pod', ['spec', 'volumes', 0, 'configMap'])?.type, 'io.k8s.api.core.v1.ConfigMapVolumeSource');
});

test('parseAPIVersion', () => {
  assert.deepEqual(parseAPIVersion('v1'), ['', 'v1']);
  assert.deepEqual(parseAPIVersion('apps/v1'), ['apps', 'v1']);
  assert.deepEqual(parseAPIVersion('rbac.authorization.k8s.io/v1'), ['rbac.authorization.k8s.io', 'v1']);
});
