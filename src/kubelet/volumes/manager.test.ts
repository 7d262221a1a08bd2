// The volume manager against the real API server, with a temp dir for the node's files. Mounting tmpfs needs
// root; those checks are skipped otherwise. The TokenRequest API is answered by a transport in front of the
// server so the token written into the volume is one the test can recognise.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, realpath, rm, stat, statfs, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import { eventually } from '../../../test/support/server.ts';
import { Client, type KubeObject } from '../../client/client.ts';
import { apiErrorFrom } from '../../client/errors.ts';
import type { Transport } from '../../client/transport.ts';
import { EnvironmentBuilder } from '../env.ts';
import { kubeletPaths, type KubeletPaths } from '../seams.ts';
import { listMountPoints, unmount } from './mounts.ts';
import { VolumeManager } from './manager.ts';

const isRoot = process.getuid?.() === 0;
const NS = 'voltest';
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const mode = async (p: string) => (await stat(p)).mode & 0o7777;
const tmpfsAt = async (p: string) => {
  const real = await realpath(p).catch(() => p);
  return (await listMountPoints()).some((m) => m.mountPoint === real && m.fsType === 'tmpfs');
};

interface TokenCall {
  namespace: string;
  serviceAccount: string;
  body: { spec?: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: Record<string, string> } };
}

describe('VolumeManager', () => {
  let cluster: TestCluster;
  let root: string;
  let paths: KubeletPaths;
  let manager: VolumeManager;
  const stop = new AbortController();
  let running: Promise<void>;
  const tokenCalls: TokenCall[] = [];
  let tokenAPI: 'answer' | 'missing' = 'answer';
  const overLimit: string[] = [];
  let seq = 0;

  before(async () => {
    cluster = await startTestCluster();
    const real = cluster.client.transport;
    const transport: Transport = {
      async request(req) {
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/.exec(req.path);
        if (req.method === 'POST' && m) {
          if (tokenAPI === 'missing') throw apiErrorFrom(404, { kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
          const call: TokenCall = { namespace: m[1]!, serviceAccount: m[2]!, body: req.body as TokenCall['body'] };
          tokenCalls.push(call);
          const expires = new Date(Date.now() + (call.body.spec?.expirationSeconds ?? 3600) * 1000).toISOString();
          return { status: 201, body: { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', status: { token: `test-token-${m[2]}-${tokenCalls.length}`, expirationTimestamp: expires } } };
        }
        return real.request(req);
      },
      watch: (p, q, signal) => real.watch(p, q, signal),
      close: async () => {},
    };
    const client = new Client(transport);
    await client.create(gvr.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    root = await mkdtemp(path.join(tmpdir(), 'skiff-volumes-'));
    paths = kubeletPaths(root);
    await writeFile(path.join(root, 'node-hosts'), '127.0.0.1 localhost\n10.0.0.5 node-1\n');
    manager = new VolumeManager({
      client,
      paths,
      nodeName: 'node-1',
      resyncPeriodMs: 200,
      allocatable: { cpu: '2', memory: '1Gi', 'ephemeral-storage': '10Gi' },
      nodeHostsFile: path.join(root, 'node-hosts'),
      environment: new EnvironmentBuilder({ client, nodeName: 'node-1', hostIPs: ['10.0.0.5'], serviceLister: () => [] }),
      onEmptyDirOverLimit: (pod, volume, message) => overLimit.push(`${pod.metadata?.name}/${volume}: ${message}`),
    });
    running = manager.start(stop.signal);
  });

  after(async () => {
    stop.abort();
    await running;
    // Whatever a failed test left mounted must not outlive it.
    const real = root ? await realpath(root).catch(() => root) : '';
    for (const m of real ? (await listMountPoints()).reverse() : []) if (m.mountPoint.startsWith(`${real}/`)) await unmount(m.mountPoint);
    if (root) await rm(root, { recursive: true, force: true });
    await cluster?.stop();
  });

  const newPod = (volumes: Volume[], containers: Container[] = [{ name: 'app' }], extra: Partial<Pod['spec']> = {}): Pod => {
    const n = ++seq;
    return {
      metadata: { name: `pod-${n}`, namespace: NS, uid: `uid-${n}`, labels: { app: 'web', tier: 'front' }, annotations: { build: '42' } },
      spec: { containers, volumes, serviceAccountName: 'runner', ...extra },
    };
  };
  const volDir = (pod: Pod, plugin: string, name: string) => path.join(paths.podDir(pod.metadata!.uid!), 'volumes', `kubernetes.io~${plugin}`, name);
  const createConfigMap = (name: string, data: Record<string, string>, binaryData?: Record<string, string>) =>
    cluster.client.create(gvr.configmaps, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data, ...(binaryData ? { binaryData } : {}) } as KubeObject);

  describe('emptyDir', () => {
    it("is a 0777 directory at upstream's path, mounted read-write", async () => {
      const pod = newPod([{ name: 'scratch', emptyDir: {} }], [{ name: 'app', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }]);
      await manager.setUp(pod);
      const dir = volDir(pod, 'empty-dir', 'scratch');
      assert.ok((await stat(dir)).isDirectory());
      assert.equal(await mode(dir), 0o777);
      assert.equal(await tmpfsAt(dir), false);
      const mounts = await manager.mounts(pod, pod.spec!.containers[0]!, []);
      assert.deepEqual(mounts[0], { containerPath: '/scratch', hostPath: dir, readonly: false, propagation: 'PROPAGATION_PRIVATE' });
      await manager.setUp(pod);
      await manager.tearDown(pod.metadata!.uid!);
    });

    it('with medium Memory is a tmpfs of the sizeLimit (else the pod limit or node memory), unmounted at tearDown', { skip: !isRoot && 'mounting needs root' }, async () => {
      const pod = newPod(
        [{ name: 'sized', emptyDir: { medium: 'Memory', sizeLimit: '4Mi' } }, { name: 'unsized', emptyDir: { medium: 'Memory' } }],
        [{ name: 'app', resources: { limits: { memory: '64Mi' } } }],
      );
      await manager.setUp(pod);
      const sized = volDir(pod, 'empty-dir', 'sized');
      const unsized = volDir(pod, 'empty-dir', 'unsized');
      assert.ok(await tmpfsAt(sized));
      assert.ok(await tmpfsAt(unsized));
      const size = async (p: string) => {
        const fs = await statfs(p);
        return fs.blocks * fs.bsize;
      };
      assert.equal(await size(sized), 4 * 1024 * 1024);
      assert.equal(await size(unsized), 64 * 1024 * 1024);
      assert.equal(await mode(sized), 0o1777);
      await manager.setUp(pod); // idempotent: no second mount on top
      assert.equal((await listMountPoints()).filter((m) => m.mountPoint === sized).length, 1);
      await manager.tearDown(pod.metadata!.uid!);
      assert.equal(await tmpfsAt(sized), false);
      await assert.rejects(lstat(paths.podDir(pod.metadata!.uid!)), { code: 'ENOENT' });
    });

    it('on disk reports once when it grows past its sizeLimit (best effort, at a resync)', async () => {
      const pod = newPod([{ name: 'small', emptyDir: { sizeLimit: '64Ki' } }]);
      await manager.setUp(pod);
      await writeFile(path.join(volDir(pod, 'empty-dir', 'small'), 'big'), Buffer.alloc(256 * 1024, 1));
      await eventually('the over-limit report', () => overLimit.find((m) => m.startsWith(`${pod.metadata!.name}/`)));
      assert.deepEqual(overLimit.filter((m) => m.startsWith(`${pod.metadata!.name}/`)), [`${pod.metadata!.name}/small: Usage of EmptyDir volume "small" exceeds the limit "64Ki". `]);
      await manager.tearDown(pod.metadata!.uid!);
    });
  });

  describe('hostPath', () => {
    it('is the node path itself after its type check, with the check failure as the FailedMount message', async () => {
      const hostDir = path.join(root, 'host-data');
      const pod = newPod([{ name: 'data', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } }], [{ name: 'app', volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }] }]);
      await manager.setUp(pod);
      assert.ok((await stat(hostDir)).isDirectory());
      const [m] = await manager.mounts(pod, pod.spec!.containers[0]!, []);
      assert.deepEqual(m, { containerPath: '/data', hostPath: hostDir, readonly: true, propagation: 'PROPAGATION_PRIVATE' });

      await writeFile(path.join(root, 'a-file'), 'x');
      const bad = newPod([{ name: 'wrong', hostPath: { path: path.join(root, 'a-file'), type: 'Directory' } }]);
      await assert.rejects(manager.setUp(bad), {
        name: 'VolumeError',
        message: `MountVolume.SetUp failed for volume "wrong" : hostPath type check failed: ${path.join(root, 'a-file')} is not a directory, it's a File`,
      });
      await manager.tearDown(pod.metadata!.uid!);
      await manager.tearDown(bad.metadata!.uid!);
      assert.ok((await stat(hostDir)).isDirectory(), 'tearDown leaves hostPath data alone');
    });
  });

  describe('configMap', () => {
    before(() => createConfigMap('app-config', { 'app.conf': 'port=80\n', greeting: 'hello' }, { 'logo.bin': b64('\u0000\u0001binary') }));

    it('writes every key (default mode 0644) or the chosen items with their modes, mounted read-only', async () => {
      const pod = newPod(
        [
          { name: 'all', configMap: { name: 'app-config' } },
          { name: 'some', configMap: { name: 'app-config', defaultMode: 0o440, items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }, { key: 'greeting', path: 'hi' }] } },
        ],
        [{ name: 'app', volumeMounts: [{ name: 'all', mountPath: '/etc/app' }] }],
      );
      await manager.setUp(pod);
      const all = volDir(pod, 'configmap', 'all');
      assert.deepEqual((await readdir(all)).filter((n) => !n.startsWith('..')).sort(), ['app.conf', 'greeting', 'logo.bin']);
      assert.equal(await readFile(path.join(all, 'app.conf'), 'utf8'), 'port=80\n');
      assert.deepEqual(await readFile(path.join(all, 'logo.bin')), Buffer.from('\u0000\u0001binary'));
      assert.equal(await mode(path.join(all, 'greeting')), 0o644);
      assert.equal(await readlink(path.join(all, 'greeting')), '..data/greeting');
      assert.equal(await tmpfsAt(all), false, 'configMap volumes stay on disk, as upstream');
      const some = volDir(pod, 'configmap', 'some');
      assert.deepEqual((await readdir(some)).filter((n) => !n.startsWith('..')).sort(), ['conf', 'hi']);
      assert.equal(await mode(path.join(some, 'conf/app.conf')), 0o600);
      assert.equal(await mode(path.join(some, 'hi')), 0o440);
      const [m] = await manager.mounts(pod, pod.spec!.containers[0]!, []);
      assert.equal(m?.readonly, true, 'configMap volumes are always read-only');
      await manager.tearDown(pod.metadata!.uid!);
    });

    it("fails with upstream's messages when the ConfigMap or a key is missing, unless optional", async () => {
      await assert.rejects(manager.setUp(newPod([{ name: 'cfg', configMap: { name: 'x' } }])), {
        name: 'VolumeError',
        message: 'MountVolume.SetUp failed for volume "cfg" : configmap "x" not found',
      });
      await assert.rejects(manager.setUp(newPod([{ name: 'cfg', configMap: { name: 'app-config', items: [{ key: 'nope', path: 'n' }] } }])), {
        message: 'MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: nope',
      });
      const optional = newPod([{ name: 'opt', configMap: { name: 'x', optional: true } }, { name: 'optkey', configMap: { name: 'app-config', optional: true, items: [{ key: 'nope', path: 'n' }, { key: 'greeting', path: 'g' }] } }]);
      await manager.setUp(optional);
      assert.deepEqual((await readdir(volDir(optional, 'configmap', 'opt'))).filter((n) => !n.startsWith('..')), []);
      assert.deepEqual((await readdir(volDir(optional, 'configmap', 'optkey'))).filter((n) => !n.startsWith('..')), ['g']);
      await manager.tearDown(optional.metadata!.uid!);
    });

    it('shows a changed ConfigMap through the same path, swapped atomically', async () => {
      await createConfigMap('live', { value: 'v1' });
      const pod = newPod([{ name: 'live', configMap: { name: 'live' } }]);
      await manager.setUp(pod);
      const dir = volDir(pod, 'configmap', 'live');
      const file = path.join(dir, 'value');
      assert.equal(await readFile(file, 'utf8'), 'v1');
      const before = await readlink(path.join(dir, '..data'));
      await cluster.client.update(gvr.configmaps, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live' }, data: { value: 'v2', added: 'new' } } as KubeObject);
      await eventually('the new value in the volume', async () => ((await readFile(file, 'utf8')) === 'v2' ? true : undefined), { timeoutMs: 10_000 });
      assert.equal(await readFile(path.join(dir, 'added'), 'utf8'), 'new');
      assert.notEqual(await readlink(path.join(dir, '..data')), before);
      assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('..2')).length, 1, 'the old timestamped directory is gone');
      await manager.tearDown(pod.metadata!.uid!);
    });
  });

  describe('secret', () => {
    before(() => cluster.client.create(SECRETS, NS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { password: b64('s3cret'), user: b64('admin') } } as KubeObject));

    it('writes the decoded keys, 0644 unless told otherwise, on a tmpfs when running as root', async () => {
      const pod = newPod([{ name: 'creds', secret: { secretName: 'creds' } }, { name: 'tight', secret: { secretName: 'creds', defaultMode: 0o400, items: [{ key: 'password', path: 'pw' }] } }]);
      await manager.setUp(pod);
      const dir = volDir(pod, 'secret', 'creds');
      assert.equal(await readFile(path.join(dir, 'password'), 'utf8'), 's3cret');
      assert.equal(await readFile(path.join(dir, 'user'), 'utf8'), 'admin');
      assert.equal(await mode(path.join(dir, 'password')), 0o644);
      assert.equal(await mode(path.join(volDir(pod, 'secret', 'tight'), 'pw')), 0o400);
      if (isRoot) assert.ok(await tmpfsAt(dir), 'secret volumes are memory-backed');
      await assert.rejects(manager.setUp(newPod([{ name: 's', secret: { secretName: 'nope' } }])), { message: 'MountVolume.SetUp failed for volume "s" : secret "nope" not found' });
      await assert.rejects(manager.setUp(newPod([{ name: 's', secret: { secretName: 'creds', items: [{ key: 'k', path: 'k' }] } }])), {
        message: 'MountVolume.SetUp failed for volume "s" : references non-existent secret key: k',
      });
      await manager.tearDown(pod.metadata!.uid!);
      assert.equal(await tmpfsAt(dir), false);
    });
  });

  describe('downwardAPI', () => {
    it('writes pod fields and container resources, sorted lines for labels and annotations', async () => {
      const pod = newPod(
        [{
          name: 'info',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
              { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
              { path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } },
              { path: 'uid', fieldRef: { fieldPath: 'metadata.uid' }, mode: 0o400 },
              { path: 'tier', fieldRef: { fieldPath: "metadata.labels['tier']" } },
              { path: 'cpu_limit', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
              { path: 'mem_limit', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
            ],
          },
        }],
        [{ name: 'app', resources: { limits: { memory: '128Mi' } } }],
      );
      await manager.setUp(pod);
      const dir = volDir(pod, 'downward-api', 'info');
      const read = (f: string) => readFile(path.join(dir, f), 'utf8');
      assert.equal(await read('labels'), 'app="web"\ntier="front"');
      assert.equal(await read('annotations'), 'build="42"');
      assert.equal(await read('name'), pod.metadata!.name);
      assert.equal(await read('ns'), NS);
      assert.equal(await read('uid'), pod.metadata!.uid);
      assert.equal(await mode(path.join(dir, 'uid')), 0o400);
      assert.equal(await read('tier'), 'front');
      assert.equal(await read('cpu_limit'), '2000', 'an unset limit is the node allocatable');
      assert.equal(await read('mem_limit'), '128');

      const relabelled = structuredClone(pod);
      relabelled.metadata!.labels = { app: 'web', tier: 'back' };
      await manager.setUp(relabelled);
      assert.equal(await read('labels'), 'app="web"\ntier="back"');
      await manager.tearDown(pod.metadata!.uid!);
    });
  });

  describe('projected', () => {
    before(() => createConfigMap('kube-root-ca.crt', { 'ca.crt': '-----BEGIN CERTIFICATE-----\n' }));
    const apiAccess: Volume = {
      name: 'kube-api-access',
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607, audience: 'vault' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          { secret: { name: 'creds', items: [{ key: 'user', path: 'user' }] } },
        ],
      },
    };

    it('combines a bound service account token, kube-root-ca.crt, the namespace and a secret', async () => {
      const pod = newPod([apiAccess]);
      tokenCalls.length = 0;
      await manager.setUp(pod);
      const dir = volDir(pod, 'projected', 'kube-api-access');
      assert.equal(await readFile(path.join(dir, 'token'), 'utf8'), 'test-token-runner-1');
      assert.equal(await mode(path.join(dir, 'token')), 0o644);
      assert.equal(await readFile(path.join(dir, 'ca.crt'), 'utf8'), '-----BEGIN CERTIFICATE-----\n');
      assert.equal(await readFile(path.join(dir, 'namespace'), 'utf8'), NS);
      assert.equal(await readFile(path.join(dir, 'user'), 'utf8'), 'admin');
      if (isRoot) assert.ok(await tmpfsAt(dir), 'projected volumes are memory-backed');
      assert.equal(tokenCalls.length, 1);
      assert.deepEqual(tokenCalls[0], {
        namespace: NS,
        serviceAccount: 'runner',
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { audiences: ['vault'], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name, uid: pod.metadata!.uid } },
        },
      });
      await manager.setUp(pod);
      assert.equal(tokenCalls.length, 1, 'a fresh token is reused');
      await manager.tearDown(pod.metadata!.uid!);
    });

    it('writes the token 0600 for a pod with an fsGroup, which then owns the files', { skip: !isRoot && 'chown needs root' }, async () => {
      const pod = newPod([apiAccess], [{ name: 'app' }], { securityContext: { fsGroup: 2000 } });
      await manager.setUp(pod);
      const token = path.join(volDir(pod, 'projected', 'kube-api-access'), 'token');
      assert.equal(await mode(token), 0o640);
      assert.equal((await stat(token)).gid, 2000);
      await manager.tearDown(pod.metadata!.uid!);
    });

    it('fails the volume while the TokenRequest API is missing', async () => {
      tokenAPI = 'missing';
      try {
        const pod = newPod([apiAccess]);
        await assert.rejects(manager.setUp(pod), {
          name: 'VolumeError',
          message: 'MountVolume.SetUp failed for volume "kube-api-access" : failed to fetch token: the server could not find the requested resource',
        });
        await manager.tearDown(pod.metadata!.uid!);
      } finally {
        tokenAPI = 'answer';
      }
    });
  });

  describe('persistentVolumeClaim', () => {
    const claim = (name: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: '' } });

    it('mounts the hostPath of the bound PersistentVolume', async () => {
      const { client } = cluster;
      const pvPath = path.join(root, 'pv-data');
      const created = await client.create(gvr.persistentvolumeclaims, NS, claim('data') as KubeObject);
      await client.create(PVS, '', {
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-data' },
        spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: pvPath, type: 'DirectoryOrCreate' }, claimRef: { namespace: NS, name: 'data', uid: created.metadata!.uid! } },
      } as KubeObject);
      await client.patch(gvr.persistentvolumeclaims, NS, 'data', 'merge', { spec: { volumeName: 'pv-data' } });
      await client.patch(gvr.persistentvolumeclaims, NS, 'data', 'merge', { status: { phase: 'Bound' } }, { subresource: 'status' });
      const pod = newPod([{ name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } }], [{ name: 'app', volumeMounts: [{ name: 'data', mountPath: '/var/data' }] }]);
      await manager.setUp(pod);
      const [m] = await manager.mounts(pod, pod.spec!.containers[0]!, []);
      assert.deepEqual(m, { containerPath: '/var/data', hostPath: pvPath, readonly: true, propagation: 'PROPAGATION_PRIVATE' });
      assert.ok((await stat(pvPath)).isDirectory());
      await manager.tearDown(pod.metadata!.uid!);
    });

    it('fails while the claim is missing or not bound', async () => {
      await assert.rejects(manager.setUp(newPod([{ name: 'v', persistentVolumeClaim: { claimName: 'ghost' } }])), {
        name: 'VolumeError',
        message: `Unable to attach or mount volumes: unmounted volumes=[v], unattached volumes=[v]: error processing PVC ${NS}/ghost: failed to fetch PVC from API server: persistentvolumeclaims "ghost" not found`,
      });
      await cluster.client.create(gvr.persistentvolumeclaims, NS, claim('pending') as KubeObject);
      await assert.rejects(manager.setUp(newPod([{ name: 'v', persistentVolumeClaim: { claimName: 'pending' } }])), {
        message: `Unable to attach or mount volumes: unmounted volumes=[v], unattached volumes=[v]: error processing PVC ${NS}/pending: PVC is not bound`,
      });
    });
  });

  describe('mounts', () => {
    it('creates subPath and subPathExpr directories inside the volume, refusing absolute and .. paths', async () => {
      const container: Container = {
        name: 'app',
        env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        volumeMounts: [
          { name: 'work', mountPath: '/logs', subPath: 'logs/app' },
          { name: 'work', mountPath: '/mine', subPathExpr: 'per-pod/$(POD_NAME)', mountPropagation: 'HostToContainer' },
        ],
      };
      const pod = newPod([{ name: 'work', emptyDir: {} }], [container]);
      await manager.setUp(pod);
      const work = await realpath(volDir(pod, 'empty-dir', 'work'));
      const mounts = await manager.mounts(pod, container, ['10.244.0.9']);
      assert.deepEqual(mounts.slice(0, 2), [
        { containerPath: '/logs', hostPath: path.join(work, 'logs/app'), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
        { containerPath: '/mine', hostPath: path.join(work, 'per-pod', pod.metadata!.name!), readonly: false, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
      ]);
      assert.equal(await mode(path.join(work, 'logs/app')), 0o777);

      const withMount = (vm: NonNullable<Container['volumeMounts']>[number]) => ({ name: 'app', volumeMounts: [vm] });
      await assert.rejects(manager.mounts(pod, withMount({ name: 'work', mountPath: '/x', subPath: '/etc' }), []), { name: 'ContainerConfigError', message: 'error SubPath `/etc` must not be an absolute path' });
      await assert.rejects(manager.mounts(pod, withMount({ name: 'work', mountPath: '/x', subPath: 'a/../../b' }), []), { message: "unable to provision SubPath `a/../../b`: must not contain '..'" });
      await assert.rejects(manager.mounts(pod, withMount({ name: 'work', mountPath: '/x', subPathExpr: '$(NOPE)' }), []), { message: 'missing value for NOPE' });
      await assert.rejects(manager.mounts(pod, withMount({ name: 'other', mountPath: '/x' }), []), { message: 'cannot find volume "other" to mount into container "app"' });
      await symlink('/etc', path.join(work, 'sneaky'));
      await assert.rejects(manager.mounts(pod, withMount({ name: 'work', mountPath: '/x', subPath: 'sneaky' }), []), { message: 'failed to prepare subPath for volumeMount "work" of container "app"' });
      await manager.tearDown(pod.metadata!.uid!);
    });

    it("adds kubelet's /etc/hosts and a fresh termination-log file", async () => {
      const container: Container = { name: 'web', terminationMessagePath: '/tmp/done' };
      const pod = newPod([], [container], { hostname: 'web-0', subdomain: 'web', hostAliases: [{ ip: '1.2.3.4', hostnames: ['alias'] }] });
      await manager.setUp(pod);
      const mounts = await manager.mounts(pod, container, ['10.244.0.9']);
      const podDir = paths.podDir(pod.metadata!.uid!);
      assert.deepEqual(mounts[0], { containerPath: '/etc/hosts', hostPath: path.join(podDir, 'etc-hosts'), readonly: false });
      const hosts = await readFile(path.join(podDir, 'etc-hosts'), 'utf8');
      assert.ok(hosts.startsWith('# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n'), hosts);
      assert.ok(hosts.includes(`10.244.0.9\tweb-0.web.${NS}.svc.cluster.local\tweb-0\n`), hosts);
      assert.ok(hosts.endsWith('# Entries added by HostAliases.\n1.2.3.4\talias\n'), hosts);
      assert.equal(await mode(path.join(podDir, 'etc-hosts')), 0o644);
      const term = mounts[1]!;
      assert.equal(term.containerPath, '/tmp/done');
      assert.match(term.hostPath, new RegExp(`^${path.join(podDir, 'containers', 'web')}/[0-9a-f]{8}$`));
      assert.equal((await stat(term.hostPath)).size, 0);
      assert.equal(await mode(term.hostPath), 0o666);
      const again = await manager.mounts(pod, container, ['10.244.0.9']);
      assert.notEqual(again[1]!.hostPath, term.hostPath, 'each container instance gets its own file');
      assert.equal(mounts.length, 2);
      await manager.tearDown(pod.metadata!.uid!);
    });

    it("leaves out /etc/hosts before the pod has an IP or when a volume is mounted there, and copies the node's for hostNetwork", async () => {
      const plain: Container = { name: 'c' };
      const pod = newPod([{ name: 'own-hosts', emptyDir: {} }], [plain]);
      await manager.setUp(pod);
      assert.deepEqual((await manager.mounts(pod, plain, [])).map((m) => m.containerPath), ['/dev/termination-log']);
      const own: Container = { name: 'c', volumeMounts: [{ name: 'own-hosts', mountPath: '/etc/hosts', subPath: 'hosts' }] };
      assert.deepEqual((await manager.mounts(pod, own, ['10.244.0.3'])).map((m) => m.containerPath), ['/etc/hosts', '/dev/termination-log']);
      const hostNet = newPod([], [plain], { hostNetwork: true });
      await manager.setUp(hostNet);
      const [hosts] = await manager.mounts(hostNet, plain, []);
      assert.equal(await readFile(hosts!.hostPath, 'utf8'), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n10.0.0.5 node-1\n');
      await manager.tearDown(pod.metadata!.uid!);
      await manager.tearDown(hostNet.metadata!.uid!);
    });
  });

  describe('tearDown', () => {
    it('unmounts and removes everything of the pod, without following symlinks out of it', async () => {
      const outside = path.join(root, 'precious');
      await mkdir(outside, { recursive: true });
      await writeFile(path.join(outside, 'keep'), 'me');
      const pod = newPod([
        { name: 'scratch', emptyDir: {} },
        { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        { name: 'creds', secret: { secretName: 'creds' } },
        { name: 'cfg', configMap: { name: 'app-config' } },
        { name: 'host', hostPath: { path: outside } },
      ]);
      if (!isRoot) pod.spec!.volumes = pod.spec!.volumes!.filter((v) => v.name !== 'mem');
      await manager.setUp(pod);
      await manager.mounts(pod, { name: 'app' }, ['10.244.0.4']);
      await symlink(outside, path.join(volDir(pod, 'empty-dir', 'scratch'), 'link'));
      const podDir = await realpath(paths.podDir(pod.metadata!.uid!));
      await manager.tearDown(pod.metadata!.uid!);
      await assert.rejects(lstat(podDir), { code: 'ENOENT' });
      assert.deepEqual((await listMountPoints()).filter((m) => m.mountPoint.startsWith(podDir)), []);
      assert.equal(await readFile(path.join(outside, 'keep'), 'utf8'), 'me');
      await manager.tearDown(pod.metadata!.uid!);
    });

    it('removes the directory of a pod it has never seen (after a restart)', async () => {
      const dir = paths.podDir('stale-uid');
      await mkdir(path.join(dir, 'volumes/kubernetes.io~empty-dir/x'), { recursive: true });
      await manager.tearDown('stale-uid');
      await assert.rejects(lstat(dir), { code: 'ENOENT' });
    });
  });
});
