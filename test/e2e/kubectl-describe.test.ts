// `kubectl describe` through Skiff's kubectl beside kubectl 1.35, against one API server: every kind with a
// describer of its own (workloads, nodes, namespaces with quotas, config, RBAC, storage, networking, policy) and the
// generic describer (leases, events, a custom resource, a CRD), with events, -l, -A, prefix matching of names,
// --show-events, --chunk-size and the errors. All commands only read, so both kubectls describe the same objects.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controllerFactories } from '../../src/controllers/index.ts';
import type { GroupVersionResource } from '../../src/client/client.ts';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { kubectlOk } from '../support/kubectl.ts';
import { same, type SameOptions } from '../support/kubectl-sidebyside.ts';
import { eventually } from '../support/server.ts';

const timeout = 120_000;

type Obj = { metadata: { name: string; namespace?: string; uid?: string; [k: string]: unknown }; [k: string]: unknown };

const g = (group: string, version: string, resource: string): GroupVersionResource => ({ group, version, resource });
const more = {
  ingresses: g('networking.k8s.io', 'v1', 'ingresses'),
  persistentvolumes: g('', 'v1', 'persistentvolumes'),
  secrets: g('', 'v1', 'secrets'),
  roles: g('rbac.authorization.k8s.io', 'v1', 'roles'),
  clusterroles: g('rbac.authorization.k8s.io', 'v1', 'clusterroles'),
  rolebindings: g('rbac.authorization.k8s.io', 'v1', 'rolebindings'),
  clusterrolebindings: g('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings'),
  hpas: g('autoscaling', 'v2', 'horizontalpodautoscalers'),
  storageclasses: g('storage.k8s.io', 'v1', 'storageclasses'),
  crds: g('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'),
  widgets: g('example.com', 'v1', 'widgets'),
};

const seconds = (ago: number) => new Date(Date.now() - ago * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

describe('kubectl describe: Skiff beside kubectl 1.35', { timeout: 15 * 60_000 }, () => {
  let cluster: TestCluster;

  const create = <T extends Obj>(resource: GroupVersionResource, namespace: string | undefined, obj: T): Promise<T> => cluster.client.create(resource, namespace, obj);

  /** An event about `obj` as a controller (or, with `byName`, the kubelet for a node) would report it. */
  let eventCount = 0;
  const event = async (kind: string, apiVersion: string, obj: Obj, e: { reason: string; message: string; type?: string; count?: number; component?: string; byName?: boolean }) => {
    const ns = obj.metadata.namespace ?? 'default';
    await create(gvr.events, ns, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${obj.metadata.name}.ev${eventCount++}` },
      involvedObject: { kind, apiVersion, name: obj.metadata.name, uid: e.byName ? obj.metadata.name : obj.metadata.uid, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) },
      reason: e.reason,
      message: e.message,
      type: e.type ?? 'Normal',
      count: e.count ?? 1,
      source: { component: e.component ?? 'skiff-test' },
      firstTimestamp: seconds(300 + eventCount),
      lastTimestamp: seconds(200 - eventCount),
    });
  };

  before(async () => {
    const pick = (name: string) => controllerFactories[name]!;
    cluster = await startTestCluster({ controllers: { deployment: pick('deployment'), replicaset: pick('replicaset') } });
    const ok = (args: string[]) => kubectlOk(args, { kubeconfig: cluster.kubeconfig });

    // A Deployment rolled once: an old and a new ReplicaSet (no kubelet runs, so the rollout stops half way).
    await ok(['create', 'deployment', 'nginx', '--image=nginx:1.26', '--replicas=2', '--port=80']);
    await ok(['set', 'image', 'deployment/nginx', 'nginx=nginx:1.27']);
    await ok(['expose', 'deployment', 'nginx', '--port=80']);
    await ok(['create', 'namespace', 'shop']);
    await eventually('the rollout to settle with two ReplicaSets', async () => {
      const sets = await cluster.client.list<Obj & { spec: { replicas: number }; status?: { replicas?: number; observedGeneration?: number } }>(gvr.replicasets, 'default');
      assert.equal(sets.items.length, 2);
      for (const rs of sets.items) assert.equal(rs.status?.replicas ?? 0, rs.spec.replicas);
      const d = await cluster.client.get<Obj & { status?: { observedGeneration?: number; updatedReplicas?: number } }>(gvr.deployments, 'default', 'nginx');
      assert.equal(d.status?.observedGeneration, d.metadata['generation']);
      assert.equal(d.status?.updatedReplicas, 1);
      return true;
    });

    const labels = { app: 'logs' };
    const template = (name: string, extra: Record<string, unknown> = {}) => ({
      metadata: { labels: { app: name } },
      spec: { containers: [{ name, image: `registry.example/${name}:1`, ...extra }] },
    });
    const ds = await create(gvr.daemonsets, 'default', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'logs', labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: { 'example.com/scrape': 'true' } },
          spec: {
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }, { operator: 'Exists' }],
            containers: [
              {
                name: 'agent',
                image: 'registry.example/agent:2',
                args: ['--verbose', '--path=/var/log'],
                env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'MODE', value: 'tail' }],
                resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '64Mi' } },
                volumeMounts: [{ name: 'varlog', mountPath: '/var/log', readOnly: true }],
                livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 20 },
              },
            ],
            volumes: [{ name: 'varlog', hostPath: { path: '/var/log' } }],
          },
        },
      },
    });
    await event('DaemonSet', 'apps/v1', ds, { reason: 'FailedCreate', message: 'no nodes match', type: 'Warning', count: 3, component: 'daemonset-controller' });

    const sts = await create(gvr.statefulsets, 'default', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        replicas: 3,
        selector: { matchLabels: { app: 'db' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
        template: template('db', { ports: [{ containerPort: 5432, name: 'pg' }, { containerPort: 9187, name: 'metrics' }], volumeMounts: [{ name: 'data', mountPath: '/data' }] }),
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } }],
      },
    });
    await event('StatefulSet', 'apps/v1', sts, { reason: 'SuccessfulCreate', message: 'create Pod db-0 in StatefulSet db successful', component: 'statefulset-controller' });

    const job = await create(gvr.jobs, 'default', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi' },
      spec: { completions: 3, parallelism: 2, backoffLimit: 4, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(200)'] }] } } },
    });
    await event('Job', 'batch/v1', job, { reason: 'SuccessfulCreate', message: 'Created pod: pi-abcde', component: 'job-controller' });

    const cj = await create(gvr.cronjobs, 'default', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup' },
      spec: {
        schedule: '*/5 * * * *',
        timeZone: 'Etc/UTC',
        startingDeadlineSeconds: 60,
        jobTemplate: { spec: { activeDeadlineSeconds: 600, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'backup', image: 'busybox', command: ['sh', '-c', 'echo backup'] }] } } } },
      },
    });
    await event('CronJob', 'batch/v1', cj, { reason: 'SawCompletedJob', message: 'Saw completed job: backup-1', component: 'cronjob-controller' });

    // Nodes, made directly (no kubelet here), one with a lease and pods.
    const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: seconds(30), lastTransitionTime: seconds(3600) });
    const node1 = await create(gvr.nodes, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/control-plane': '' }, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
      spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'], taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
      status: {
        conditions: [
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
        ],
        addresses: [{ type: 'InternalIP', address: '192.0.2.11' }, { type: 'Hostname', address: 'node-1' }],
        capacity: { cpu: '4', memory: '8151312Ki', pods: '110', 'ephemeral-storage': '61202244Ki', 'hugepages-2Mi': '0' },
        allocatable: { cpu: '3800m', memory: '7946512Ki', pods: '110', 'ephemeral-storage': '56403987978', 'hugepages-2Mi': '0' },
        nodeInfo: { machineID: 'm-1', systemUUID: 'u-1', bootID: 'b-1', kernelVersion: '6.1.0-13-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)', operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'containerd://1.6.20', kubeletVersion: 'v1.35.0', kubeProxyVersion: '' },
      },
    });
    await create(gvr.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-2' } });
    await create(gvr.leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-1' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-02T03:04:05.000000Z' } }).catch(async (err: unknown) => {
      await create(gvr.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-node-lease' } });
      await create(gvr.leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-1' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-02T03:04:05.000000Z' } });
      void err;
    });
    await event('Node', 'v1', node1, { reason: 'RegisteredNode', message: 'Node node-1 event: Registered Node node-1 in Controller', component: 'node-controller' });
    await event('Node', 'v1', node1, { reason: 'NodeReady', message: 'Node node-1 status is now: NodeReady', component: 'kubelet', byName: true });
    await create(gvr.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-on-node', labels: { app: 'web' } },
      spec: {
        nodeName: 'node-1',
        initContainers: [{ name: 'init', image: 'busybox', command: ['true'], resources: { requests: { cpu: '1', memory: '16Mi' } } }],
        containers: [
          { name: 'web', image: 'nginx', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } } },
          { name: 'sidecar', image: 'busybox', resources: { requests: { cpu: '100m' } }, envFrom: [{ configMapRef: { name: 'settings' } }, { secretRef: { name: 'creds' }, prefix: 'DB_' }] },
        ],
      },
    });
    const worker = await create(gvr.pods, 'shop', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'worker' },
      spec: { nodeName: 'node-1', containers: [{ name: 'worker', image: 'busybox', resources: { requests: { memory: '1Gi', 'ephemeral-storage': '1Gi' }, limits: { memory: '1Gi', 'ephemeral-storage': '2Gi' } } }] },
    });

    await event('Pod', 'v1', worker, { reason: 'Scheduled', message: 'Successfully assigned shop/worker to node-1', component: 'default-scheduler' });
    await event('Pod', 'v1', worker, { reason: 'Pulling', message: 'Pulling image "busybox"', component: 'kubelet' });

    // A pod with most of what a container can carry: probes, env from fields and resources, volumes of many kinds.
    await create(gvr.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'kitchen-sink', labels: { app: 'sink', tier: 'x' } },
      spec: {
        securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        readinessGates: [{ conditionType: 'example.com/ready' }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'sink' } } }],
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', 'echo one\necho two'],
            ports: [{ containerPort: 8080, protocol: 'TCP' }, { containerPort: 9000, protocol: 'UDP', name: 'stats' }],
            resources: { limits: { memory: '256Mi' }, requests: { memory: '256Mi' } },
            livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, initialDelaySeconds: 5 },
            readinessProbe: { tcpSocket: { port: 8080 } },
            startupProbe: { grpc: { port: 9090 } },
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'MEM_MB', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
              { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password', optional: true } } },
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
              { name: 'MULTI', value: 'a\nb' },
            ],
            volumeMounts: [
              { name: 'config', mountPath: '/etc/app' },
              { name: 'scratch', mountPath: '/tmp', subPath: 'x' },
              { name: 'info', mountPath: '/etc/info', readOnly: true },
              { name: 'all', mountPath: '/etc/all' },
              { name: 'keys', mountPath: '/etc/keys' },
            ],
          },
        ],
        volumes: [
          { name: 'config', configMap: { name: 'settings' } },
          { name: 'keys', secret: { secretName: 'creds', optional: true } },
          { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'main', resource: 'limits.memory' } }] } },
          { name: 'all', projected: { sources: [{ configMap: { name: 'settings' } }, { secret: { name: 'creds' } }, { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } }, { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } },
        ],
      },
    });
    const rc = await create(g('', 'v1', 'replicationcontrollers'), 'default', {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'legacy' },
      spec: { replicas: 2, selector: { app: 'legacy' }, template: template('legacy') },
    });
    await event('ReplicationController', 'v1', rc, { reason: 'SuccessfulCreate', message: 'Created pod: legacy-x', component: 'replication-controller' });
    await create(g('networking.k8s.io', 'v1', 'ingressclasses'), undefined, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
      spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb', scope: 'Cluster' } },
    });

    // A namespace with a quota (its usage set as the quota controller would) and a limit range.
    const quota = await create(gvr.resourcequotas, 'shop', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'compute' },
      spec: { hard: { pods: '10', 'requests.cpu': '2', 'requests.memory': '2Gi' }, scopes: ['NotBestEffort'] },
    });
    await cluster.client.updateStatus(gvr.resourcequotas, 'shop', { ...quota, status: { hard: { pods: '10', 'requests.cpu': '2', 'requests.memory': '2Gi' }, used: { pods: '1', 'requests.cpu': '0', 'requests.memory': '1Gi' } } });
    await create(gvr.resourcequotas, 'shop', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'counts' }, spec: { hard: { configmaps: '5' } } });
    await create(gvr.limitranges, 'shop', {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'defaults' },
      spec: { limits: [{ type: 'Container', default: { memory: '256Mi' }, defaultRequest: { memory: '128Mi' }, max: { memory: '1Gi' } }, { type: 'Pod', max: { cpu: '2' } }] },
    });

    const cm = await create(gvr.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', labels: { tier: 'web' } }, data: { 'app.conf': 'listen 80;\nroot /srv;', mode: 'fast' }, binaryData: { logo: Buffer.from('PNG\x00\x01').toString('base64') } });
    await event('ConfigMap', 'v1', cm, { reason: 'Updated', message: 'config reloaded' });
    await create(more.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, type: 'Opaque', data: { password: Buffer.from('s3cret').toString('base64'), user: Buffer.from('admin').toString('base64') } });
    const sa = await create(gvr.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', annotations: { owner: 'ci' } }, imagePullSecrets: [{ name: 'registry-a' }, { name: 'registry-b' }] });
    await event('ServiceAccount', 'v1', sa, { reason: 'TokenRequested', message: 'a token was requested' });

    const ep = await create(gvr.endpoints, 'default', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'manual' },
      subsets: [{ addresses: [{ ip: '10.244.1.5' }, { ip: '10.244.1.6' }], notReadyAddresses: [{ ip: '10.244.1.7' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }, { addresses: [{ ip: '10.244.2.9' }], ports: [{ port: 9090, protocol: 'TCP' }] }],
    });
    await event('Endpoints', 'v1', ep, { reason: 'FailedToUpdateEndpoint', message: 'conflict', type: 'Warning' });
    await create(gvr.endpointslices, 'default', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'manual-abc', labels: { 'kubernetes.io/service-name': 'manual' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.244.1.5'], conditions: { ready: true }, hostname: 'a', nodeName: 'node-1', zone: 'z1', targetRef: { kind: 'Pod', name: 'a-pod', namespace: 'default' } },
        { addresses: ['10.244.1.7'], conditions: { ready: false } },
      ],
    });

    const ing = await create(more.ingresses, 'default', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/' } },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['shop.example'], secretName: 'shop-tls' }],
        rules: [
          { host: 'shop.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'nginx', port: { number: 80 } } } }, { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } }] } },
          { http: { paths: [{ path: '/static', pathType: 'Prefix', backend: { resource: { apiGroup: 'example.com', kind: 'Bucket', name: 'assets' } } }] } },
        ],
      },
    });
    await event('Ingress', 'networking.k8s.io/v1', ing, { reason: 'Sync', message: 'Scheduled for sync', component: 'nginx-ingress-controller' });

    const pv = await create(more.persistentvolumes, undefined, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pv-data', labels: { type: 'local' } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce', 'ReadOnlyMany'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: 'manual',
        hostPath: { path: '/mnt/data', type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1', 'node-2'] }, { key: 'disk', operator: 'Exists' }] }] } },
      },
    });
    await event('PersistentVolume', 'v1', pv, { reason: 'VolumeFailedRecycle', message: 'recycler failed', type: 'Warning', component: 'persistentvolume-controller' });
    const pvc = await create(gvr.persistentvolumeclaims, 'default', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'manual', resources: { requests: { storage: '1Gi' } } },
    });
    await event('PersistentVolumeClaim', 'v1', pvc, { reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding', component: 'persistentvolume-controller' });
    await create(gvr.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'uses-claim' },
      spec: { containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] },
    });

    await create(more.roles, 'default', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'reader' },
      rules: [
        { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'get'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings', 'other'], verbs: ['update'] },
      ],
    });
    await create(more.clusterroles, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'ops', labels: { team: 'ops' } },
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['get'] },
        { nonResourceURLs: ['/healthz', '/metrics'], verbs: ['get'] },
        { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['create', 'delete'] },
      ],
    });
    await create(more.rolebindings, 'default', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'read-pods' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }, { kind: 'ServiceAccount', name: 'builder', namespace: 'default' }],
    });
    await create(more.clusterrolebindings, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'ops-all' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ops' },
      subjects: [{ kind: 'Group', name: 'ops', apiGroup: 'rbac.authorization.k8s.io' }],
    });

    const hpa = await create(more.hpas, 'default', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'nginx' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
          { type: 'Pods', pods: { metric: { name: 'requests_per_second' }, target: { type: 'AverageValue', averageValue: '1k' } } },
        ],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } },
      },
    });
    await event('HorizontalPodAutoscaler', 'autoscaling/v2', hpa, { reason: 'FailedGetResourceMetric', message: 'failed to get cpu utilization: unable to get metrics', type: 'Warning', count: 12, component: 'horizontal-pod-autoscaler' });
    const pdb = await create(gvr.poddisruptionbudgets, 'default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'nginx' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'nginx' } } } });
    await event('PodDisruptionBudget', 'policy/v1', pdb, { reason: 'NoPods', message: 'No matching pods found', component: 'controllermanager' });
    await create(gvr.priorityclasses, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high', annotations: { owner: 'sre' } }, value: 1000, description: 'for important things' });
    await create(more.storageclasses, undefined, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'fast', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'example.com/ssd',
      parameters: { type: 'pd-ssd', replication: 'none' },
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      mountOptions: ['noatime', 'nodiratime'],
      allowedTopologies: [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['z1', 'z2'] }] }],
    });
    const lease = await create(gvr.leases, 'default', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'my-lock', labels: { app: 'lock' } }, spec: { holderIdentity: 'instance-1', leaseDurationSeconds: 15, leaseTransitions: 2 } });
    await event('Lease', 'coordination.k8s.io/v1', lease, { reason: 'LeaderElection', message: 'instance-1 became leader' });

    await create(more.crds, undefined, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    const widget = await eventually('the Widget resource to be served', async () =>
      create(more.widgets, 'default', {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1', labels: { color: 'blue' } },
        spec: { color: 'blue', replicas: 3, podCIDR: '10.0.0.0/8', apiURL: 'https://example.com', enabled: true, sizes: ['s', 'm'], parts: [{ name: 'a', count: 1 }, { name: 'b', count: 2 }], nested: { deepKey: { leaf: 'x' } }, v1beta1: 'digits' },
      }),
    );
    await event('Widget', 'example.com/v1', widget, { reason: 'Reconciled', message: 'widget is ready', component: 'widget-operator' });
  });
  after(async () => {
    await cluster?.stop();
  });

  const cases: string[][] = [
    ['describe', 'deploy', 'nginx'],
    ['describe', 'deployments'],
    ['describe', 'deploy', 'nginx', '--show-events=false'],
    ['describe', 'rs', '-l', 'app=nginx'],
    ['describe', 'rs', 'nginx-'],
    ['describe', 'pods', 'ngin'],
    ['describe', 'pods', 'ngin', '--show-events=true'],
    ['describe', 'pod', 'web-on-node'],
    ['describe', 'pod', 'kitchen-sink'],
    ['describe', 'rc', 'legacy'],
    ['describe', 'ingressclass', 'nginx'],
    ['describe', 'ds', 'logs'],
    ['describe', 'sts', 'db'],
    ['describe', 'job', 'pi'],
    ['describe', 'cronjob', 'backup'],
    ['describe', 'node', 'node-1'],
    ['describe', 'node', 'node-2'],
    ['describe', 'nodes'],
    ['describe', 'nodes', '--show-events'],
    ['describe', 'ns', 'shop'],
    ['describe', 'namespace', 'default'],
    ['describe', 'quota', '-n', 'shop'],
    ['describe', 'limits', 'defaults', '-n', 'shop'],
    ['describe', 'cm', 'settings'],
    ['describe', 'secret', 'creds'],
    ['describe', 'sa', 'builder'],
    ['describe', 'endpoints', 'manual'],
    ['describe', 'endpointslices', 'manual-abc'],
    ['describe', 'ing', 'web'],
    ['describe', 'pv', 'pv-data'],
    ['describe', 'pvc', 'data'],
    ['describe', 'role', 'reader'],
    ['describe', 'clusterrole', 'ops'],
    ['describe', 'rolebinding', 'read-pods'],
    ['describe', 'clusterrolebinding', 'ops-all'],
    ['describe', 'hpa', 'nginx'],
    ['describe', 'pdb', 'nginx'],
    ['describe', 'priorityclass', 'high'],
    ['describe', 'sc', 'fast'],
    ['describe', 'lease', 'my-lock'],
    ['describe', 'leases', '-n', 'kube-node-lease'],
    ['describe', 'widgets', 'w1'],
    ['describe', 'wd/w1', '--show-events=false'],
    ['describe', 'crd', 'widgets.example.com'],
    ['describe', 'events', '-n', 'shop'],
    ['describe', 'svc,deploy', 'nginx'],
    ['describe', 'deploy/nginx', 'svc/nginx'],
    ['describe', 'pods', '-A', '-l', 'app=nginx', '--chunk-size=1'],
    ['describe', 'pods', '-A'],
    ['describe', 'cm', '-l', 'tier=web', '--chunk-size=0'],
    ['describe', 'deploy', 'nope'],
    ['describe', 'nope', 'x'],
    ['describe', 'node', 'nope'],
    ['describe', 'pods', '-l', 'app=none', '-A'],
    ['describe', 'deploy', 'nginx', '-l', 'app=nginx'],
    ['describe', 'deploy/nginx', 'svc'],
    ['describe', 'deploy', 'nginx', 'nope', 'nope2'],
  ];

  const options: SameOptions = {};
  for (const args of cases) {
    void it(args.join(' '), { timeout }, async () => {
      await same(cluster.kubeconfig, args, options);
    });
  }
});
