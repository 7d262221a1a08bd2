// The event recorder against a real API server: names, counting repeats, combining similar events.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import type { KubeObject } from './client.ts';
import { EventRecorder } from './events.ts';

describe('EventRecorder', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
  });
  after(() => cluster?.stop());

  const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}` } });
  const eventsOf = async (name: string) =>
    (await cluster.client.list<KubeObject & { count?: number; message?: string; reason?: string; source?: { component?: string } }>(gvr.events, 'default', { fieldSelector: `involvedObject.name=${name}` })).items;

  it('writes a core/v1 Event naming the object, and counts a repeat on the same Event', async () => {
    const recorder = new EventRecorder(cluster.client, { component: 'test-controller' });
    recorder.event(pod('a'), 'Normal', 'Started', 'started it');
    recorder.event(pod('a'), 'Normal', 'Started', 'started it');
    await recorder.flush();
    const events = await eventsOf('a');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.count, 2);
    assert.equal(events[0]!.reason, 'Started');
    assert.equal(events[0]!.source?.component, 'test-controller');
    assert.match(events[0]!.metadata!.name!, /^a\.[0-9a-f]+$/);
  });

  it('folds more than ten different messages for one reason into a combined event', async () => {
    const recorder = new EventRecorder(cluster.client, { component: 'test-controller' });
    for (let i = 0; i < 14; i++) recorder.event(pod('b'), 'Warning', 'Failed', `failure ${i}`);
    await recorder.flush();
    const events = await eventsOf('b');
    assert.equal(events.length, 11);
    const combined = events.filter((e) => e.message?.startsWith('(combined from similar events): '));
    assert.equal(combined.length, 1);
    assert.equal(combined[0]!.count, 4);
    assert.equal(combined[0]!.message, '(combined from similar events): failure 13');
  });
});
