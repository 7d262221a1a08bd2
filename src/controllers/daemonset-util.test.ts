// Daemon pod placement and update arithmetic.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.d.ts';
import type { Node, Taint } from 'kubernetes-types/core/v1.d.ts';
import { daemonPodTemplate, daemonPodTolerations, isPodUpdated, nodeShouldRunDaemonPod, pinToNode, surgeCount, targetNodeName, unavailableCount } from './daemonset-util.ts';

const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node => ({ metadata: { name, labels }, spec: { taints } });
const ds = (spec: Partial<NonNullable<DaemonSet['spec']>['template']['spec']> = {}, extra: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSet => ({
  metadata: { name: 'd', namespace: 'ns' },
  spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c' }], ...spec } }, ...extra },
});

describe('daemonset-util', () => {
  it('adds the daemon tolerations, network-unavailable only for host network, replacing same ones', () => {
    const plain = daemonPodTolerations({ containers: [], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] });
    assert.equal(plain.length, 6);
    assert.deepEqual(plain[0], { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' });
    assert.ok(!plain.some((t) => t.key === 'node.kubernetes.io/network-unavailable'));
    const host = daemonPodTolerations({ containers: [], hostNetwork: true });
    assert.ok(host.some((t) => t.key === 'node.kubernetes.io/network-unavailable' && t.effect === 'NoSchedule'));
  });

  it('runs on nodes matching selector and affinity whose NoSchedule/NoExecute taints are tolerated', () => {
    assert.deepEqual(nodeShouldRunDaemonPod(node('n'), ds()), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node('n'), ds({ nodeSelector: { disk: 'ssd' } })), { shouldRun: false, shouldContinueRunning: false });
    assert.equal(nodeShouldRunDaemonPod(node('n', { disk: 'ssd' }), ds({ nodeSelector: { disk: 'ssd' } })).shouldRun, true);
    // NoSchedule: no new pod, but a running one may stay.
    assert.deepEqual(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'k', effect: 'NoSchedule' }]), ds()), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'k', effect: 'NoExecute' }]), ds()), { shouldRun: false, shouldContinueRunning: false });
    // The automatic tolerations cover cordoned and unreachable nodes; PreferNoSchedule never blocks.
    assert.equal(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, { key: 'x', effect: 'PreferNoSchedule' }]), ds()).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'k', effect: 'NoSchedule' }]), ds({ tolerations: [{ key: 'k', operator: 'Exists' }] })).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(node('other'), ds({ nodeName: 'n' })).shouldRun, false);
  });

  it('pins a pod to its node by a metadata.name field requirement, replacing required terms only', () => {
    const affinity = pinToNode(
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'b', operator: 'Exists' }] } }],
        },
      },
      'n1',
    );
    assert.deepEqual(affinity.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] });
    assert.equal(affinity.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length, 1);
    assert.equal(targetNodeName({ spec: { containers: [], affinity } }), 'n1');
    assert.equal(targetNodeName({ spec: { containers: [], nodeName: 'n2', affinity } }), 'n2');
    assert.equal(targetNodeName({ spec: { containers: [] } }), undefined);
  });

  it('labels pod templates with the revision hash and template generation', () => {
    const t = daemonPodTemplate(ds().spec!.template, '3', 'abc');
    assert.deepEqual(t.metadata?.labels, { a: 'b', 'pod-template-generation': '3', 'controller-revision-hash': 'abc' });
    assert.ok(isPodUpdated({ metadata: { labels: { 'controller-revision-hash': 'abc' } } }, 'abc', undefined));
    assert.ok(isPodUpdated({ metadata: { labels: { 'pod-template-generation': '3' } } }, 'zzz', '3'));
    assert.ok(!isPodUpdated({ metadata: { labels: {} } }, 'abc', '3'));
  });

  it('scales maxUnavailable and maxSurge up from percentages', () => {
    const rolling = (maxUnavailable: number | string, maxSurge: number | string) => ds({}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable, maxSurge } } });
    assert.equal(unavailableCount(rolling('10%', 0), 15), 2);
    assert.equal(surgeCount(rolling(0, '50%'), 3), 2);
    assert.equal(unavailableCount(rolling(2, 0), 15), 2);
    assert.equal(unavailableCount(ds({}, { updateStrategy: { type: 'OnDelete' } }), 15), 0);
  });
});
