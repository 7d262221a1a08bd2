import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FallbackSignal } from '../flags.ts';
import { splitResourcesAndPairs } from '../cmd/label.ts';
import { formatEndpointSlices } from './service.ts';
import { describePod } from './pod.ts';
import { DescribeWriter, printAnnotations, printLabels } from './writer.ts';

test('labels and annotations: sorted, aligned, long annotation values on their own lines', () => {
  const w = new DescribeWriter();
  printLabels(w, 'Labels', { b: '2', a: '1' });
  printAnnotations(w, 'Annotations', { 'kubectl.kubernetes.io/last-applied-configuration': '{}', long: 'x'.repeat(150), short: 'v' });
  assert.equal(w.toString(), `Labels:       a=1\n              b=2\nAnnotations:  long:\n                ${'x'.repeat(138)}...\n              short: v\n`);
});

test('endpoints: at most three, then how many more; not-ready ones skipped', () => {
  const endpoints = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((ip, i) => ({ addresses: [ip], conditions: { ready: i !== 1 } }));
  const slice = { addressType: 'IPv4', endpoints, ports: [{ name: '', port: 80 }] };
  assert.equal(formatEndpointSlices([slice], ''), '10.0.0.1:80,10.0.0.3:80,10.0.0.4:80 + 1 more...');
  assert.equal(formatEndpointSlices([slice], 'http'), '');
  assert.equal(formatEndpointSlices([], ''), '<none>');
});

test('a pod with fields the describer does not model is left to the real kubectl', () => {
  const pod = { metadata: { name: 'p', namespace: 'd' }, spec: { containers: [{ name: 'c', image: 'i', livenessProbe: { exec: { command: ['true'] } } }] }, status: { qosClass: 'BestEffort' } };
  assert.throws(() => describePod(new DescribeWriter(), pod, undefined), FallbackSignal);
});

test('label and annotate arguments: resources first, then changes', () => {
  assert.deepEqual(splitResourcesAndPairs(['pod', 'x', 'a=1', 'b-'], 'label'), { resources: ['pod', 'x'], pairs: ['a=1', 'b-'] });
  assert.deepEqual(splitResourcesAndPairs(['pod', '=x'], 'annotation'), { resources: ['pod', '=x'], pairs: [] });
  assert.throws(() => splitResourcesAndPairs(['pod', 'a=1', 'x'], 'label'), /all resources must be specified before label changes: x/);
});
