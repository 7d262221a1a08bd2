import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FallbackSignal } from '../flags.ts';
import { splitResourcesAndPairs } from '../cmd/label.ts';
import { formatEndpointSlices } from './service.ts';
import { describePod, describeProbe } from './pod.ts';
import { camelSplit, smartLabel } from './generic.ts';
import { describeRole } from './rbac.ts';
import { podQOS } from './qos.ts';
import type { DescribeContext } from './context.ts';
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
  const pod = { metadata: { name: 'p', namespace: 'd' }, spec: { containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'v', ephemeral: { volumeClaimTemplate: { spec: {} } } }] }, status: { qosClass: 'BestEffort' } };
  assert.throws(() => describePod(new DescribeWriter(), pod as never, undefined), FallbackSignal);
});

test('label and annotate arguments: resources first, then changes', () => {
  assert.deepEqual(splitResourcesAndPairs(['pod', 'x', 'a=1', 'b-'], 'label'), { resources: ['pod', 'x'], pairs: ['a=1', 'b-'] });
  assert.deepEqual(splitResourcesAndPairs(['pod', '=x'], 'annotation'), { resources: ['pod', '=x'], pairs: [] });
  assert.throws(() => splitResourcesAndPairs(['pod', 'a=1', 'x'], 'label'), /all resources must be specified before label changes: x/);
});

test('generic field labels as kubectl 1.35 makes them', () => {
  assert.deepEqual(camelSplit('HTTPServerURL'), ['HTTP', 'Server', 'URL']);
  assert.equal(smartLabel('apiVersion'), 'API Version');
  assert.equal(smartLabel('podCIDR'), 'Pod Cidr');
  assert.equal(smartLabel('uid'), 'UID');
  assert.equal(smartLabel('x_y'), 'x_y');
  assert.equal(smartLabel('v1beta1'), 'v1beta1');
});

test('probes: kubectl 1.35 counts successes and failures with #', () => {
  const probe = { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };
  assert.equal(describeProbe(probe), 'http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3');
  assert.equal(describeProbe({ exec: { command: ['cat', '/tmp/ok'] } }), 'exec [cat /tmp/ok] delay=0s timeout=0s period=0s #success=0 #failure=0');
});

test('role rules: broken down per verb, merged per resource, sorted by their string form', async () => {
  const obj = {
    metadata: { name: 'r' },
    rules: [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { nonResourceURLs: ['/healthz'], verbs: ['get'] },
    ],
  };
  const text = await describeRole({} as DescribeContext, { resource: {} as never, obj });
  const rows = text.split('\n').slice(6, -1).map((l) => l.trim().split(/ {2,}/));
  assert.deepEqual(rows, [
    ['[/healthz]', '[]', '[get]'],
    ['deployments.apps/scale', '[]', '[]', '[get]'],
    ['pods', '[]', '[]', '[list get]'],
  ]);
});

test('QoS class computed as kubectl does when the server did not set it', () => {
  const pod = (resources: Record<string, Record<string, string>>) => ({ spec: { containers: [{ name: 'c', resources }] } }) as never;
  assert.equal(podQOS(pod({})), 'BestEffort');
  assert.equal(podQOS(pod({ requests: { cpu: '0' } })), 'BestEffort');
  assert.equal(podQOS(pod({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1024Mi' } })), 'Guaranteed');
  assert.equal(podQOS(pod({ requests: { cpu: '500m' }, limits: { cpu: '1', memory: '1Gi' } })), 'Burstable');
  assert.equal(podQOS({ spec: { containers: [] }, status: { qosClass: 'Guaranteed' } } as never), 'Guaranteed');
});
