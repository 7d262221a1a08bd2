// The garbage collector under `skiff server` with the real kubectl 1.35: `kubectl delete --cascade=background|foreground|orphan`
// of an owner whose dependents point at it through ownerReferences.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controllerFactories } from '../../src/controllers/index.ts';
import { kubectl, kubectlOk, kubectlStream, type KubectlResult } from '../support/kubectl.ts';
import { eventually, startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 120_000;
const ns = 'gc';

void describe('garbage collection with kubectl delete --cascade', { timeout: 10 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  const run = (args: string[], input?: string): Promise<KubectlResult> =>
    kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 90_000, ...(input === undefined ? {} : { input }) });
  const ok = (args: string[], input?: string): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 90_000, input });
  const json = async (args: string[]): Promise<any> => JSON.parse(await ok([...args, '-o', 'json']));
  const absent = async (kind: string, name: string): Promise<boolean> => {
    const result = await run(['get', kind, name, '-n', ns]);
    if (result.code === 0) return false;
    assert.match(result.stderr, /NotFound/);
    return true;
  };
  const gone = (kind: string, name: string) => eventually(`${kind} ${name} to be gone`, async () => ((await absent(kind, name)) ? true : undefined), { timeoutMs: 60_000 });

  /** An owner ConfigMap and dependents naming it (blocking its deletion, as controllers' references do). */
  const family = async (owner: string, dependents: string[], extraMetadata: Record<string, unknown> = {}) => {
    await ok(['create', 'configmap', owner, '-n', ns]);
    const uid = (await json(['get', 'configmap', owner, '-n', ns])).metadata.uid as string;
    const docs = dependents.map((name) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: ns, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid, blockOwnerDeletion: true }], ...(extraMetadata[name] as object | undefined) },
        data: { owner },
      }),
    );
    await ok(['apply', '-f', '-'], `{"apiVersion":"v1","kind":"List","items":[${docs.join(',')}]}`);
    return uid;
  };

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite', signal: abort.signal });
    await ok(['create', 'namespace', ns]);
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('--cascade=background deletes the owner, then the collector deletes its dependents', { timeout }, async () => {
    await family('bg-owner', ['bg-a', 'bg-b']);
    assert.match(await ok(['delete', 'configmap', 'bg-owner', '-n', ns, '--cascade=background']), /^configmap "bg-owner" deleted( from gc namespace)?\n$/);
    await gone('configmap', 'bg-a');
    await gone('configmap', 'bg-b');
  });

  void it('--cascade=foreground waits while a blocking dependent remains, and finishes when it is gone', { timeout }, async () => {
    await family('fg-owner', ['fg-free', 'fg-held'], { 'fg-held': { finalizers: ['e2e.skiff.dev/hold'] } });
    const deletion = kubectlStream(['delete', 'configmap', 'fg-owner', '-n', ns, '--cascade=foreground'], { kubeconfig: server.kubeconfig, signal: abort.signal });
    try {
      await gone('configmap', 'fg-free');
      const held = await eventually('fg-held to be deleting', async () => {
        const obj = await json(['get', 'configmap', 'fg-held', '-n', ns]);
        return obj.metadata.deletionTimestamp ? obj : undefined;
      });
      assert.deepEqual(held.metadata.finalizers, ['e2e.skiff.dev/hold']);
      const owner = await json(['get', 'configmap', 'fg-owner', '-n', ns]);
      assert.deepEqual(owner.metadata.finalizers, ['foregroundDeletion']);
      assert.match(owner.metadata.deletionTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(deletion.child.exitCode, null, 'kubectl delete --cascade=foreground is still waiting for the owner');

      await ok(['patch', 'configmap', 'fg-held', '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
      const exit = await Promise.race([deletion.exited, new Promise<'still waiting'>((done) => setTimeout(() => done('still waiting'), 90_000).unref())]);
      assert.deepEqual(exit, { code: 0, signal: null }, `kubectl delete did not finish: ${deletion.stderr()}`);
      assert.match(deletion.lines.join('\n'), /^configmap "fg-owner" deleted/m);
      assert.ok(await absent('configmap', 'fg-owner'));
      assert.ok(await absent('configmap', 'fg-held'));
    } finally {
      await deletion.stop();
    }
  });

  void it('--cascade=orphan deletes the owner and leaves the dependents without their ownerReference', { timeout }, async () => {
    await family('or-owner', ['or-a', 'or-b']);
    assert.match(await ok(['delete', 'configmap', 'or-owner', '-n', ns, '--cascade=orphan']), /^configmap "or-owner" deleted( from gc namespace)?\n$/);
    assert.ok(await absent('configmap', 'or-owner'), 'kubectl waited until the owner was gone');
    for (const name of ['or-a', 'or-b']) {
      const dep = await json(['get', 'configmap', name, '-n', ns]);
      assert.equal(dep.metadata.ownerReferences, undefined, `${name} keeps no reference to the deleted owner`);
      assert.equal(dep.metadata.deletionTimestamp, undefined);
    }
  });

  // The "deleting a Deployment with Background, Foreground and Orphan": needs the workload controllers.
  const workloads = 'deployment' in controllerFactories && 'replicaset' in controllerFactories;
  void it('a Deployment: orphan keeps its ReplicaSet; foreground and background remove ReplicaSets and Pods', { timeout: 4 * timeout, skip: workloads ? false : 'the deployment and replicaset controllers are not registered' }, async () => {
    const replicaSetsOf = async (app: string) => (await json(['get', 'replicasets', '-n', ns, '-l', `app=${app}`])).items as any[];
    const podsOf = async (app: string) => (await json(['get', 'pods', '-n', ns, '-l', `app=${app}`])).items as any[];
    const deploy = async (name: string) => {
      await ok(['create', 'deployment', name, '-n', ns, '--image=nginx', '--replicas=2']);
      await eventually(`${name}'s pods`, async () => ((await podsOf(name)).length === 2 ? true : undefined), { timeoutMs: 60_000 });
    };

    await deploy('web-or');
    const [rs] = await replicaSetsOf('web-or');
    await ok(['delete', 'deployment', 'web-or', '-n', ns, '--cascade=orphan']);
    const orphaned = await json(['get', 'replicaset', rs.metadata.name, '-n', ns]);
    assert.equal(orphaned.metadata.ownerReferences, undefined);
    assert.equal((await podsOf('web-or')).length, 2, 'the orphaned ReplicaSet keeps its pods');

    await deploy('web-fg');
    await ok(['delete', 'deployment', 'web-fg', '-n', ns, '--cascade=foreground']);
    // Foreground: by the time kubectl returns, the dependents are gone.
    assert.deepEqual(await replicaSetsOf('web-fg'), []);
    assert.deepEqual(await podsOf('web-fg'), []);

    await deploy('web-bg');
    await ok(['delete', 'deployment', 'web-bg', '-n', ns, '--cascade=background']);
    await eventually('web-bg to be cleaned up', async () => ((await replicaSetsOf('web-bg')).length + (await podsOf('web-bg')).length === 0 ? true : undefined), { timeoutMs: 60_000 });
  });
});
