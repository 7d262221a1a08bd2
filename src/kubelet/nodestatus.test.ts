import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsChanged, MAX_NODE_IMAGES, nodeConditions, nodeImages, notReadyMessage } from './nodestatus.ts';

const ready = [
  { type: 'RuntimeReady', status: true },
  { type: 'NetworkReady', status: true },
];
const noNetwork = [
  { type: 'RuntimeReady', status: true },
  { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: cni plugin not initialized' },
];

describe('node status', () => {
  it('says why the node is not ready in kubelet words', () => {
    assert.equal(notReadyMessage({ runtime: ready }), '');
    assert.equal(
      notReadyMessage({ runtime: noNetwork }),
      'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
    );
    assert.equal(notReadyMessage({ runtime: undefined, runtimeError: 'connection refused' }), 'container runtime is down: connection refused');
  });

  it('moves the transition time only when a condition flips', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const t1 = new Date('2026-01-01T00:00:10Z');
    const first = nodeConditions(undefined, { runtime: noNetwork }, t0);
    assert.deepEqual(first.map((c) => [c.type, c.status, c.reason]), [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'False', 'KubeletNotReady'],
    ]);
    const second = nodeConditions(first, { runtime: ready }, t1);
    const readyCond = second.find((c) => c.type === 'Ready')!;
    assert.equal(readyCond.status, 'True');
    assert.equal(readyCond.message, 'kubelet is posting ready status');
    assert.equal(readyCond.lastTransitionTime, '2026-01-01T00:00:10Z');
    assert.equal(second[0]!.lastTransitionTime, '2026-01-01T00:00:00Z');
    assert.equal(second[0]!.lastHeartbeatTime, '2026-01-01T00:00:10Z');
    assert.equal(conditionsChanged(first, second), true);
    assert.equal(conditionsChanged(second, nodeConditions(second, { runtime: ready }, t1)), false);
  });

  it('lists images largest first with digests then tags, at most 50', () => {
    const images = Array.from({ length: 60 }, (_, i) => ({ id: `sha256:${i}`, repoTags: [`img:${i}`], repoDigests: i === 59 ? [`img@sha256:${i}`] : [], size: BigInt(i * 10) }));
    const listed = nodeImages(images);
    assert.equal(listed.length, MAX_NODE_IMAGES);
    assert.deepEqual(listed[0], { names: ['img@sha256:59', 'img:59'], sizeBytes: 590 });
    assert.equal(listed.at(-1)!.sizeBytes, 100);
  });
});
