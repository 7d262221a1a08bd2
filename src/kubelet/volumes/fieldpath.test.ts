import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import {
  checkPodFieldSelector, containerResourceValue, extractPodMetadataField, FieldPathError, formatMap, podMemoryLimit,
  resourceValueByContainerName, withNodeLimits,
} from './fieldpath.ts';

const pod: Pod = {
  metadata: { name: 'web', namespace: 'shop', uid: 'u-1', labels: { tier: 'front', app: 'web' }, annotations: { note: 'say "hi"\nthere' } },
  spec: {
    containers: [
      { name: 'app', resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m', memory: '32Mi' } } },
      { name: 'sidecar' },
    ],
    initContainers: [{ name: 'init', resources: { limits: { memory: '1Gi' } } }],
  },
};
const node = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' };

describe('downward API fields', () => {
  it("formats maps as sorted k=\"v\" lines with Go's quoting", () => {
    assert.equal(formatMap({ b: '2', a: 'x"y', c: 'line\nnext\ttab' }), 'a="x\\"y"\nb="2"\nc="line\\nnext\\ttab"');
    assert.equal(formatMap(undefined), '');
  });

  it('reads metadata fields, whole maps and subscripts', () => {
    assert.equal(extractPodMetadataField(pod, 'metadata.name'), 'web');
    assert.equal(extractPodMetadataField(pod, 'metadata.namespace'), 'shop');
    assert.equal(extractPodMetadataField(pod, 'metadata.uid'), 'u-1');
    assert.equal(extractPodMetadataField(pod, 'metadata.labels'), 'app="web"\ntier="front"');
    assert.equal(extractPodMetadataField(pod, "metadata.labels['tier']"), 'front');
    assert.equal(extractPodMetadataField(pod, "metadata.annotations['missing']"), '');
    assert.equal(extractPodMetadataField(pod, 'metadata.annotations'), 'note="say \\"hi\\"\\nthere"');
    assert.throws(() => extractPodMetadataField(pod, 'spec.nodeName'), { name: 'FieldPathError', message: 'unsupported fieldPath: spec.nodeName' });
    assert.throws(() => extractPodMetadataField(pod, "metadata.name['x']"), { message: 'fieldPath "metadata.name[\'x\']" does not support subscript' });
  });

  it('accepts only the pod fields and version upstream converts', () => {
    assert.equal(checkPodFieldSelector({ fieldPath: 'status.podIP' }), 'status.podIP');
    assert.equal(checkPodFieldSelector({ apiVersion: 'v1', fieldPath: "metadata.annotations['a/b']" }), "metadata.annotations['a/b']");
    assert.throws(() => checkPodFieldSelector({ fieldPath: 'spec.hostname' }), { message: 'field label not supported: spec.hostname' });
    assert.throws(() => checkPodFieldSelector({ apiVersion: 'v2', fieldPath: 'metadata.name' }), { message: 'unsupported pod version: v2' });
  });
});

describe('container resources', () => {
  const app = pod.spec!.containers[0]!;
  it('divides and rounds up, cpu in millicores and the rest in units', () => {
    assert.equal(containerResourceValue({ resource: 'limits.cpu' }, app), '1');
    assert.equal(containerResourceValue({ resource: 'limits.cpu', divisor: '1m' }, app), '500');
    assert.equal(containerResourceValue({ resource: 'requests.cpu', divisor: '100m' }, app), '3');
    assert.equal(containerResourceValue({ resource: 'limits.memory' }, app), String(64 * 1024 * 1024));
    assert.equal(containerResourceValue({ resource: 'limits.memory', divisor: '1Mi' }, app), '64');
    assert.equal(containerResourceValue({ resource: 'requests.memory', divisor: '1M' }, app), '34');
    assert.equal(containerResourceValue({ resource: 'requests.ephemeral-storage' }, app), '0');
    assert.throws(() => containerResourceValue({ resource: 'limits.gpu' }, app), { message: 'unsupported container resource : limits.gpu' });
  });

  it('takes unset limits from the node', () => {
    const sidecar = withNodeLimits(pod.spec!.containers[1]!, node);
    assert.equal(containerResourceValue({ resource: 'limits.cpu' }, sidecar), '4');
    assert.equal(containerResourceValue({ resource: 'limits.memory', divisor: '1Gi' }, sidecar), '8');
    assert.equal(containerResourceValue({ resource: 'limits.ephemeral-storage', divisor: '1G' }, sidecar), '108');
    assert.equal(resourceValueByContainerName({ containerName: 'app', resource: 'limits.memory', divisor: '1Mi' }, pod, node), '64');
    assert.equal(resourceValueByContainerName({ containerName: 'init', resource: 'limits.cpu' }, pod, node), '4');
    assert.throws(() => resourceValueByContainerName({ containerName: 'nope', resource: 'limits.cpu' }, pod, node), FieldPathError);
  });

  it("knows the pod's memory limit only when every container declares one", () => {
    assert.equal(podMemoryLimit(pod), undefined);
    const limited: Pod = {
      spec: {
        containers: [{ name: 'a', resources: { limits: { memory: '100Mi' } } }, { name: 'b', resources: { limits: { memory: '28Mi' } } }],
        initContainers: [{ name: 'i', resources: { limits: { memory: '64Mi' } } }],
      },
    };
    assert.equal(podMemoryLimit(limited), 128n * 1024n * 1024n);
    limited.spec!.initContainers![0]!.resources!.limits!['memory'] = '1Gi';
    assert.equal(podMemoryLimit(limited), 1024n * 1024n * 1024n);
  });
});
