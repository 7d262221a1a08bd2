// The DaemonSet controller against the real API server: placement by affinity and taints (the tutorial's flannel
// DaemonSet), nodes coming and going, failed pods, and rolling updates within maxUnavailable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { DaemonSet } from 'kubernetes-types/apps/v1.d.ts';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { kubectl } from '../../test/support/kubectl.ts';
import { eventually, repoRoot } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { DaemonSetController } from './daemonset.ts';
import { targetNodeName } from './daemonset-util.ts';
import { CONTROLLER_REVISION_HASH_LABEL, type Revision } from './history.ts';

type PodObject = Pod & KubeObject;
type DaemonSetObject = DaemonSet & KubeObject;

describe('DaemonSetController', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ controllers: { daemonset: (ctx) => new DaemonSetController(ctx) } });
  });
  after(() => cluster?.stop());

  const createNode = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []) =>
    cluster.client.create<Node & KubeObject>(gvr.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints } });
  const podsOf = async (ns: string, app: string) => (await cluster.client.list<PodObject>(gvr.pods, ns, { labelSelector: `app=${app}` })).items;
  const livePods = async (ns: string, app: string) => (await podsOf(ns, app)).filter((p) => !p.metadata?.deletionTimestamp);
  const nodesOf = (pods: Pod[]) => pods.map((p) => targetNodeName(p)).sort();
  const getDS = (ns: string, name: string) => cluster.client.get<DaemonSetObject>(gvr.daemonsets, ns, name);

  /** What a kubelet would report: Running and Ready. */
  async function markReady(pod: PodObject): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const fresh = await cluster.client.get<PodObject>(gvr.pods, pod.metadata!.namespace, pod.metadata!.name!);
    const status = { ...fresh.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] };
    await cluster.client.updateStatus(gvr.pods, pod.metadata!.namespace, { ...fresh, status });
  }

  const simpleDS = (name: string, extra: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSetObject => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { nodeSelector: { pool: name }, containers: [{ name: 'c', image: 'busybox:1' }] } },
      ...extra,
    },
  });

  it('lands the flannel DaemonSet on exactly one pod per Linux node, the tainted control plane included', async () => {
    const docs = parseAllDocuments(await readFile(`${repoRoot}/test/e2e/fixtures/kube-flannel.yml`, 'utf8')).map((d) => d.toJS() as KubeObject | null);
    const ds = docs.find((d) => d?.kind === 'DaemonSet') as DaemonSetObject;
    assert.ok(ds, 'the fixture has a DaemonSet');
    await createNode('cp', { 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/control-plane': '' }, [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    await createNode('w1', { 'kubernetes.io/os': 'linux' });
    await createNode('w2', { 'kubernetes.io/os': 'linux' });
    await createNode('win', { 'kubernetes.io/os': 'windows' });
    // NoExecute is not covered by flannel's `operator: Exists, effect: NoSchedule`.
    await createNode('quarantined', { 'kubernetes.io/os': 'linux' }, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]);
    await cluster.client.create(gvr.serviceaccounts, 'kube-system', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'flannel' } });
    await cluster.client.create(gvr.daemonsets, 'kube-system', ds);

    const pods = await eventually('one flannel pod on each of cp, w1, w2', async () => {
      const p = await podsOf('kube-system', 'flannel');
      return nodesOf(p).join() === 'cp,w1,w2' ? p : undefined;
    });
    for (const pod of pods) {
      const node = targetNodeName(pod)!;
      assert.deepEqual(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
      });
      assert.equal(pod.spec?.nodeName, undefined, 'the scheduler binds daemon pods');
      assert.match(pod.metadata!.name!, /^kube-flannel-ds-[a-z0-9]{5}$/);
      const tolerations = pod.spec?.tolerations ?? [];
      assert.ok(tolerations.some((t) => t.operator === 'Exists' && t.effect === 'NoSchedule' && !t.key), "flannel's own toleration stays");
      for (const key of ['not-ready', 'unreachable']) assert.ok(tolerations.some((t) => t.key === `node.kubernetes.io/${key}` && t.effect === 'NoExecute' && t.tolerationSeconds === undefined));
      for (const key of ['disk-pressure', 'memory-pressure', 'pid-pressure', 'unschedulable', 'network-unavailable']) {
        assert.ok(tolerations.some((t) => t.key === `node.kubernetes.io/${key}` && t.effect === 'NoSchedule'), key);
      }
      assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, 'DaemonSet');
    }

    const status = await eventually('status counts', async () => {
      const s = (await getDS('kube-system', 'kube-flannel-ds')).status;
      return s?.desiredNumberScheduled === 3 && s.currentNumberScheduled === 3 && s.updatedNumberScheduled === 3 ? s : undefined;
    });
    assert.equal(status.numberMisscheduled, 0);
    assert.equal(status.numberReady, 0);
    assert.equal(status.numberUnavailable, 3);
    assert.equal(status.observedGeneration, 1);

    const revisions = (await cluster.client.list<Revision>(gvr.controllerrevisions, 'kube-system')).items;
    assert.equal(revisions.length, 1);
    const rev = revisions[0]!;
    const hash = rev.metadata!.labels![CONTROLLER_REVISION_HASH_LABEL]!;
    assert.equal(rev.metadata!.name, `kube-flannel-ds-${hash}`);
    assert.equal(rev.revision, 1);
    const data = rev.data as { spec: { template: Record<string, unknown> } };
    assert.equal(data.spec.template['$patch'], 'replace');
    assert.deepEqual(Object.keys(data.spec), ['template']);
    for (const pod of pods) assert.equal(pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL], hash);

    for (const pod of pods) await markReady(pod);
    await eventually('numberReady 3', async () => ((await getDS('kube-system', 'kube-flannel-ds')).status?.numberAvailable === 3 ? true : undefined));
    const events = (await cluster.client.list<KubeObject & { reason?: string; message?: string }>(gvr.events, 'kube-system', { fieldSelector: 'involvedObject.name=kube-flannel-ds' })).items;
    assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && /^Created pod: kube-flannel-ds-/.test(e.message ?? '')));
  });

  it('follows nodes: a new node gets a pod, a removed or relabelled node loses it', async () => {
    await createNode('follow-a', { pool: 'follow' });
    await cluster.client.create(gvr.daemonsets, 'default', simpleDS('follow'));
    await eventually('a pod on follow-a', async () => (nodesOf(await livePods('default', 'follow')).join() === 'follow-a' ? true : undefined));

    await createNode('follow-b', { pool: 'follow' });
    await createNode('follow-c', { pool: 'follow' });
    await eventually('pods on three nodes', async () => (nodesOf(await livePods('default', 'follow')).join() === 'follow-a,follow-b,follow-c' ? true : undefined));

    await cluster.client.delete(gvr.nodes, '', 'follow-b');
    await eventually('the pod for follow-b is gone', async () => (nodesOf(await livePods('default', 'follow')).join() === 'follow-a,follow-c' ? true : undefined));

    await cluster.client.patch(gvr.nodes, '', 'follow-c', 'merge', { metadata: { labels: { pool: 'elsewhere' } } });
    await eventually('the pod for follow-c is gone', async () => (nodesOf(await livePods('default', 'follow')).join() === 'follow-a' ? true : undefined));
    const status = await eventually('status', async () => {
      const s = (await getDS('default', 'follow')).status;
      return s?.desiredNumberScheduled === 1 && s.currentNumberScheduled === 1 ? s : undefined;
    });
    assert.equal(status.numberMisscheduled, 0);

    // A NoSchedule taint stops new pods but lets the running one stay, counted as misscheduled.
    await cluster.client.patch(gvr.nodes, '', 'follow-a', 'merge', { spec: { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] } });
    const tainted = await eventually('misscheduled', async () => {
      const s = (await getDS('default', 'follow')).status;
      return s?.desiredNumberScheduled === 0 && s.numberMisscheduled === 1 ? s : undefined;
    });
    assert.equal(tainted.currentNumberScheduled, 0);
    assert.equal(nodesOf(await livePods('default', 'follow')).join(), 'follow-a');
  });

  it('surges a new pod beside the old one with maxSurge and removes the old one once the new is available', async () => {
    for (const n of ['surge-a', 'surge-b']) await createNode(n, { pool: 'surge' });
    await cluster.client.create(gvr.daemonsets, 'default', simpleDS('surge', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }));
    const initial = await eventually('two pods', async () => {
      const p = await livePods('default', 'surge');
      return p.length === 2 ? p : undefined;
    });
    for (const pod of initial) await markReady(pod);
    await eventually('available', async () => ((await getDS('default', 'surge')).status?.numberAvailable === 2 ? true : undefined));
    const oldHash = initial[0]!.metadata!.labels![CONTROLLER_REVISION_HASH_LABEL]!;
    await cluster.client.patch(gvr.daemonsets, 'default', 'surge', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
    for (let step = 1; step <= 2; step++) {
      const pods = await eventually(`step ${step}: a surge pod`, async () => {
        const p = await livePods('default', 'surge');
        const news = p.filter((x) => x.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== oldHash);
        return news.length === step && p.length === 3 ? p : undefined;
      });
      // Old pods all still run: with maxUnavailable 0 nothing goes before its replacement is available.
      assert.equal(pods.filter((x) => x.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === oldHash).length, 3 - step);
      const fresh = pods.find((x) => x.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== oldHash && x.status?.phase !== 'Running')!;
      assert.equal(pods.filter((x) => targetNodeName(x) === targetNodeName(fresh)).length, 2, 'old and new side by side');
      await markReady(fresh);
      await eventually(`step ${step}: the old pod beside it goes`, async () => {
        const p = await livePods('default', 'surge');
        return p.filter((x) => targetNodeName(x) === targetNodeName(fresh)).length === 1 ? true : undefined;
      });
    }
    await eventually('all updated and available', async () => {
      const s = (await getDS('default', 'surge')).status;
      return s?.updatedNumberScheduled === 2 && s.numberAvailable === 2 ? true : undefined;
    });
  });

  it('replaces a failed pod and deletes a second pod on the same node', async () => {
    await createNode('fail-a', { pool: 'fail' });
    await cluster.client.create(gvr.daemonsets, 'default', simpleDS('fail'));
    const [first] = await eventually('a pod', async () => {
      const p = await livePods('default', 'fail');
      return p.length === 1 ? p : undefined;
    });
    const failed = await cluster.client.get<PodObject>(gvr.pods, 'default', first!.metadata!.name!);
    await cluster.client.updateStatus(gvr.pods, 'default', { ...failed, status: { ...failed.status, phase: 'Failed' } });
    const [replacement] = await eventually('a replacement pod', async () => {
      const p = await livePods('default', 'fail');
      return p.length === 1 && p[0]!.metadata!.uid !== first!.metadata!.uid ? p : undefined;
    });
    const events = (await cluster.client.list<KubeObject & { reason?: string; message?: string }>(gvr.events, 'default', { fieldSelector: 'involvedObject.name=fail' })).items;
    assert.ok(events.some((e) => e.reason === 'FailedDaemonPod' && e.message === `Found failed daemon pod default/${first!.metadata!.name} on node fail-a, will try to kill it`));

    // An extra matching pod on the node (adopted as an orphan) is removed; the older one stays (creation times are
    // whole seconds, so the name, which sorts after any generated one, breaks a tie).
    const extra: PodObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fail-zzzzzz', namespace: 'default', labels: { app: 'fail' } }, spec: replacement!.spec! };
    await cluster.client.create(gvr.pods, 'default', extra);
    await eventually('the extra pod is deleted', async () => {
      const p = await livePods('default', 'fail');
      return p.length === 1 && p[0]!.metadata!.uid === replacement!.metadata!.uid ? true : undefined;
    });
  });

  it('rolls a new template out one node at a time with maxUnavailable 1', async () => {
    for (const n of ['roll-a', 'roll-b', 'roll-c']) await createNode(n, { pool: 'roll' });
    await cluster.client.create(gvr.daemonsets, 'default', simpleDS('roll', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } }));
    const initial = await eventually('three pods', async () => {
      const p = await livePods('default', 'roll');
      return p.length === 3 ? p : undefined;
    });
    for (const pod of initial) await markReady(pod);
    await eventually('all available', async () => ((await getDS('default', 'roll')).status?.numberAvailable === 3 ? true : undefined));
    const oldHash = initial[0]!.metadata!.labels![CONTROLLER_REVISION_HASH_LABEL]!;

    await cluster.client.patch(gvr.daemonsets, 'default', 'roll', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
    const updatedNodes = new Set<string>();
    for (let step = 1; step <= 3; step++) {
      const fresh = await eventually(`step ${step}: a new pod and a status that counts it`, async () => {
        const ds = await getDS('default', 'roll');
        if (ds.status?.observedGeneration !== ds.metadata?.generation || ds.status?.updatedNumberScheduled !== step) return undefined;
        const pods = await livePods('default', 'roll');
        const news = pods.filter((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== oldHash);
        return news.length === step ? { pods, news } : undefined;
      });
      // The one unavailable new pod uses up maxUnavailable: every other node keeps its old pod.
      const olds = fresh.pods.filter((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === oldHash);
      assert.equal(olds.length, 3 - step);
      assert.equal(fresh.pods.length, 3);
      const unready = fresh.news.filter((p) => p.status?.phase !== 'Running');
      assert.equal(unready.length, 1);
      assert.equal(unready[0]!.spec?.containers[0]?.image, 'busybox:2');
      updatedNodes.add(targetNodeName(unready[0]!)!);
      await markReady(unready[0]!);
    }
    assert.deepEqual([...updatedNodes].sort(), ['roll-a', 'roll-b', 'roll-c']);
    const revisions = (await cluster.client.list<Revision>(gvr.controllerrevisions, 'default', { labelSelector: 'app=roll' })).items.sort((a, b) => a.revision - b.revision);
    assert.deepEqual(
      revisions.map((r) => r.revision),
      [1, 2],
    );
    await eventually('all updated and available', async () => {
      const s = (await getDS('default', 'roll')).status;
      return s?.updatedNumberScheduled === 3 && s.numberAvailable === 3 ? true : undefined;
    });
  });

  it('leaves pods alone under OnDelete until they are deleted', async () => {
    await createNode('ondel-a', { pool: 'ondel' });
    await cluster.client.create(gvr.daemonsets, 'default', simpleDS('ondel', { updateStrategy: { type: 'OnDelete' } }));
    const [pod] = await eventually('a pod', async () => {
      const p = await livePods('default', 'ondel');
      return p.length === 1 ? p : undefined;
    });
    await cluster.client.patch(gvr.daemonsets, 'default', 'ondel', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
    await eventually('status seen the new generation', async () => {
      const ds = await getDS('default', 'ondel');
      return ds.status?.observedGeneration === ds.metadata?.generation && ds.metadata?.generation === 2 && (ds.status?.updatedNumberScheduled ?? 0) === 0 ? true : undefined;
    });
    assert.equal((await livePods('default', 'ondel'))[0]!.metadata!.uid, pod!.metadata!.uid);
    await cluster.client.delete(gvr.pods, 'default', pod!.metadata!.name!, { gracePeriodSeconds: 0 });
    const [next] = await eventually('a new pod', async () => {
      const p = await livePods('default', 'ondel');
      return p.length === 1 && p[0]!.metadata!.uid !== pod!.metadata!.uid ? p : undefined;
    });
    assert.equal(next!.spec?.containers[0]?.image, 'busybox:2');
  });
});

describe('DaemonSetController with the real kubectl', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ controllers: { daemonset: (ctx) => new DaemonSetController(ctx) } });
  });
  after(() => cluster?.stop());

  const run = (args: string[]) => kubectl(args, { kubeconfig: cluster.kubeconfig, timeoutMs: 60_000 });
  const flannelPods = async () => (await cluster.client.list<PodObject>(gvr.pods, 'kube-system', { labelSelector: 'app=flannel' })).items.filter((p) => !p.metadata?.deletionTimestamp);
  const readyAll = async () => {
    for (const pod of await flannelPods()) {
      if (pod.status?.phase === 'Running') continue;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      await cluster.client.updateStatus(gvr.pods, 'kube-system', { ...pod, status: { ...pod.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }).catch(() => {});
    }
  };
  /** Plays the kubelet until the rollout has reached every node. */
  const rollOut = (image: string) =>
    eventually(`every flannel pod runs ${image}`, async () => {
      await readyAll();
      const ds = await cluster.client.get<DaemonSetObject>(gvr.daemonsets, 'kube-system', 'kube-flannel-ds');
      const pods = await flannelPods();
      const s = ds.status;
      return s?.observedGeneration === ds.metadata?.generation && s?.updatedNumberScheduled === 2 && s.numberAvailable === 2 && pods.length === 2 && pods.every((p) => p.spec?.containers[0]?.image === image)
        ? true
        : undefined;
    });

  it('applies the flannel manifest, reports rollout status, lists history and undoes an update', async () => {
    for (const [name, taints] of [
      ['cp', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]],
      ['w1', []],
    ] as const) {
      await cluster.client.create(gvr.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/os': 'linux' } }, spec: { taints: [...taints] } });
    }
    const applied = await run(['apply', '-f', `${repoRoot}/test/e2e/fixtures/kube-flannel.yml`]);
    assert.match(applied.stdout, /daemonset.apps\/kube-flannel-ds created/, applied.stderr);
    await eventually('a flannel pod per node', async () => (nodesOfPods(await flannelPods()) === 'cp,w1' ? true : undefined));
    await rollOut('quay.io/coreos/flannel:v0.14.0');

    const status = await run(['rollout', 'status', 'daemonset/kube-flannel-ds', '-n', 'kube-system', '--timeout=30s']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /daemon set "kube-flannel-ds" successfully rolled out/);

    const set = await run(['set', 'image', 'daemonset/kube-flannel-ds', 'kube-flannel=quay.io/coreos/flannel:v0.15.0', '-n', 'kube-system']);
    assert.equal(set.code, 0, set.stderr);
    await rollOut('quay.io/coreos/flannel:v0.15.0');

    const history = await run(['rollout', 'history', 'daemonset/kube-flannel-ds', '-n', 'kube-system']);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /^1\s/m);
    assert.match(history.stdout, /^2\s/m);

    const undo = await run(['rollout', 'undo', 'daemonset/kube-flannel-ds', '-n', 'kube-system']);
    assert.equal(undo.code, 0, undo.stderr);
    await rollOut('quay.io/coreos/flannel:v0.14.0');
    const revisions = (await cluster.client.list<Revision>(gvr.controllerrevisions, 'kube-system')).items.map((r) => r.revision).sort();
    assert.deepEqual(revisions, [2, 3], 'the first template came back as revision 3');
  });
});

function nodesOfPods(pods: Pod[]): string {
  return pods
    .map((p) => targetNodeName(p))
    .sort()
    .join();
}
