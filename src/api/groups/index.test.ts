import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceType } from '../types.ts';
import { allResourceTypes, bootstrapObjects, firstServiceIP } from './index.ts';

const CRUD = 'create,delete,deletecollection,get,list,patch,update,watch';

/**
 * Discovery facts from upstream (api/discovery/aggregated_v2.json and api__v1.json):
 * group/version/resource → kind, singular, scope, verbs, shortNames, categories, subresources.
 */
const UPSTREAM: Array<[string, string, string, string, 'Namespaced' | 'Cluster', string, string, string, string]> = [
  ['', 'v1', 'bindings', 'Binding', 'Namespaced', 'create', '', '', ''],
  ['', 'v1', 'configmaps', 'ConfigMap', 'Namespaced', CRUD, 'cm', '', ''],
  ['', 'v1', 'endpoints', 'Endpoints', 'Namespaced', CRUD, 'ep', '', ''],
  ['', 'v1', 'events', 'Event', 'Namespaced', CRUD, 'ev', '', ''],
  ['', 'v1', 'limitranges', 'LimitRange', 'Namespaced', CRUD, 'limits', '', ''],
  ['', 'v1', 'namespaces', 'Namespace', 'Cluster', 'create,delete,get,list,patch,update,watch', 'ns', '', 'finalize,status'],
  ['', 'v1', 'nodes', 'Node', 'Cluster', CRUD, 'no', '', 'proxy,status'],
  ['', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', 'Namespaced', CRUD, 'pvc', '', 'status'],
  ['', 'v1', 'persistentvolumes', 'PersistentVolume', 'Cluster', CRUD, 'pv', '', 'status'],
  ['', 'v1', 'pods', 'Pod', 'Namespaced', CRUD, 'po', 'all', 'attach,binding,ephemeralcontainers,eviction,exec,log,portforward,proxy,resize,status'],
  ['', 'v1', 'podtemplates', 'PodTemplate', 'Namespaced', CRUD, '', '', ''],
  ['', 'v1', 'replicationcontrollers', 'ReplicationController', 'Namespaced', CRUD, 'rc', 'all', 'scale,status'],
  ['', 'v1', 'resourcequotas', 'ResourceQuota', 'Namespaced', CRUD, 'quota', '', 'status'],
  ['', 'v1', 'secrets', 'Secret', 'Namespaced', CRUD, '', '', ''],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', 'Namespaced', CRUD, 'sa', '', 'token'],
  ['', 'v1', 'services', 'Service', 'Namespaced', CRUD, 'svc', 'all', 'proxy,status'],
  ['apps', 'v1', 'controllerrevisions', 'ControllerRevision', 'Namespaced', CRUD, '', '', ''],
  ['apps', 'v1', 'daemonsets', 'DaemonSet', 'Namespaced', CRUD, 'ds', 'all', 'status'],
  ['apps', 'v1', 'deployments', 'Deployment', 'Namespaced', CRUD, 'deploy', 'all', 'scale,status'],
  ['apps', 'v1', 'replicasets', 'ReplicaSet', 'Namespaced', CRUD, 'rs', 'all', 'scale,status'],
  ['apps', 'v1', 'statefulsets', 'StatefulSet', 'Namespaced', CRUD, 'sts', 'all', 'scale,status'],
  ['events.k8s.io', 'v1', 'events', 'Event', 'Namespaced', CRUD, 'ev', '', ''],
  ['authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', 'Cluster', 'create', '', '', ''],
  ['authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', 'Cluster', 'create', '', '', ''],
  ['authorization.k8s.io', 'v1', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', 'Namespaced', 'create', '', '', ''],
  ['authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', 'Cluster', 'create', '', '', ''],
  ['authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', 'Cluster', 'create', '', '', ''],
  ['authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', 'Cluster', 'create', '', '', ''],
  ['autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', 'Namespaced', CRUD, 'hpa', 'all', 'status'],
  ['autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', 'Namespaced', CRUD, 'hpa', 'all', 'status'],
  ['batch', 'v1', 'cronjobs', 'CronJob', 'Namespaced', CRUD, 'cj', 'all', 'status'],
  ['batch', 'v1', 'jobs', 'Job', 'Namespaced', CRUD, '', 'all', 'status'],
  ['certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', 'Cluster', CRUD, 'csr', '', 'approval,status'],
  ['networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', 'Cluster', CRUD, '', '', ''],
  ['networking.k8s.io', 'v1', 'ingresses', 'Ingress', 'Namespaced', CRUD, 'ing', '', 'status'],
  ['networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', 'Namespaced', CRUD, 'netpol', '', ''],
  ['policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', 'Namespaced', CRUD, 'pdb', '', 'status'],
  ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', 'Cluster', CRUD, '', '', ''],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', 'Cluster', CRUD, '', '', ''],
  ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', 'Namespaced', CRUD, '', '', ''],
  ['rbac.authorization.k8s.io', 'v1', 'roles', 'Role', 'Namespaced', CRUD, '', '', ''],
  ['storage.k8s.io', 'v1', 'csidrivers', 'CSIDriver', 'Cluster', CRUD, '', '', ''],
  ['storage.k8s.io', 'v1', 'csinodes', 'CSINode', 'Cluster', CRUD, '', '', ''],
  ['storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', 'Cluster', CRUD, 'sc', '', ''],
  ['storage.k8s.io', 'v1', 'volumeattachments', 'VolumeAttachment', 'Cluster', CRUD, '', '', 'status'],
  ['scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', 'Cluster', CRUD, 'pc', '', ''],
  ['coordination.k8s.io', 'v1', 'leases', 'Lease', 'Namespaced', CRUD, '', '', ''],
  ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', 'Cluster', CRUD, 'crd,crds', 'api-extensions', 'status'],
  ['discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', 'Namespaced', CRUD, '', '', ''],
];

const find = (group: string, version: string, plural: string): ResourceType | undefined =>
  allResourceTypes.find((t) => t.group === group && t.version === version && t.plural === plural);

const csv = (xs: readonly string[] | undefined): string => (xs ?? []).join(',');

describe('discovery metadata', () => {
  it('matches upstream for every served resource', () => {
    for (const [group, version, plural, kind, scope, verbs, shortNames, categories, subresources] of UPSTREAM) {
      const t = find(group, version, plural);
      assert.ok(t, `${group}/${version}/${plural} is served`);
      const got = [t.kind, t.namespaced ? 'Namespaced' : 'Cluster', csv(t.verbs), csv(t.shortNames), csv(t.categories), csv([...(t.subresources ?? [])].sort())];
      assert.deepEqual(got, [kind, scope, verbs, shortNames, categories, subresources], `${group}/${version}/${plural}`);
      assert.equal(t.singular, kind.toLowerCase(), `${plural} singular`);
    }
    assert.equal(allResourceTypes.length, UPSTREAM.length);
  });

  it('has one entry per group/version/resource, list kinds and OpenAPI names', () => {
    const keys = allResourceTypes.map((t) => `${t.group}/${t.version}/${t.plural}`);
    assert.equal(new Set(keys).size, keys.length);
    for (const t of allResourceTypes) {
      assert.equal(t.listKind, `${t.kind}List`);
      const short = t.group === '' ? 'core' : t.group.replace(/\.k8s\.io$/, '').replace('.authorization', '');
      const base = t.group === 'apiextensions.k8s.io' ? 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions' : `io.k8s.api.${short}`;
      assert.equal(t.schemaType, `${base}.${t.version}.${t.kind}`);
    }
  });

  it('uses upstream storage keys where they differ from the resource name', () => {
    const storage = (g: string, v: string, p: string): string | undefined => find(g, v, p)?.storageResource;
    assert.equal(storage('', 'v1', 'services'), 'services/specs');
    assert.equal(storage('', 'v1', 'nodes'), 'minions');
    assert.equal(storage('', 'v1', 'events'), storage('events.k8s.io', 'v1', 'events'));
    assert.equal(storage('autoscaling', 'v1', 'horizontalpodautoscalers'), storage('autoscaling', 'v2', 'horizontalpodautoscalers'));
    assert.equal(storage('discovery.k8s.io', 'v1', 'endpointslices'), 'endpointslices');
  });

  it('has scale paths on the scalable kinds only', () => {
    const scalable = allResourceTypes.filter((t) => t.scale).map((t) => t.plural).sort();
    assert.deepEqual(scalable, ['deployments', 'replicasets', 'replicationcontrollers', 'statefulsets']);
    for (const t of allResourceTypes) if (t.scale) assert.ok(t.subresources?.includes('scale'));
  });
});

describe('bootstrap objects', () => {
  const objs = bootstrapObjects({ serviceCIDR: '10.96.0.0/12', apiserverPort: 6443, advertiseAddress: '192.168.56.10' });
  const byKind = (kind: string) => objs.filter((o) => o.kind === kind);

  it('has the system namespaces and priority classes', () => {
    assert.deepEqual(byKind('Namespace').map((o) => o.metadata!.name), ['default', 'kube-system', 'kube-public', 'kube-node-lease']);
    assert.deepEqual(byKind('PriorityClass').map((o) => [o.metadata!.name, o['value']]), [['system-node-critical', 2000001000], ['system-cluster-critical', 2000000000]]);
    assert.equal(byKind('PriorityClass')[0]!['description'], 'Used for system critical pods that must not be moved from their current node.');
  });

  it('has the kubernetes Service on the first service address', () => {
    const [svc] = byKind('Service');
    assert.equal(svc!.metadata!.name, 'kubernetes');
    assert.equal(svc!['spec'].clusterIP, '10.96.0.1');
    assert.deepEqual(svc!['spec'].ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
    assert.deepEqual(byKind('Endpoints')[0]!['subsets'][0].addresses, [{ ip: '192.168.56.10' }]);
  });

  it('binds cluster-admin to system:masters', () => {
    const [role] = byKind('ClusterRole');
    assert.deepEqual(role!['rules'], [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]);
    const [binding] = byKind('ClusterRoleBinding');
    assert.deepEqual(binding!['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' });
    assert.deepEqual(binding!['subjects'], [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }]);
  });

  it('are all valid for their registry entries', () => {
    for (const o of objs) {
      const [group, version] = o.apiVersion!.includes('/') ? o.apiVersion!.split('/') : ['', o.apiVersion!];
      const t = allResourceTypes.find((x) => x.group === group && x.version === version && x.kind === o.kind)!;
      const copy = structuredClone(o);
      t.defaults?.(copy);
      assert.deepEqual(t.validateCreate?.(copy) ?? [], [], `${o.kind}/${o.metadata!.name}`);
    }
  });

  it('computes the first address of IPv4 and IPv6 CIDRs', () => {
    assert.equal(firstServiceIP('10.96.0.0/12'), '10.96.0.1');
    assert.equal(firstServiceIP('10.100.7.9/16'), '10.100.0.1');
    assert.equal(firstServiceIP('fd00:10:96::/108'), 'fd00:10:96::1');
    assert.throws(() => firstServiceIP('10.96.0.0'));
  });
});
