import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../types.ts';
import { eventFromCore, eventToCore, resources } from './events.ts';

const [events] = resources;

const newEvent = (): KObject => ({
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'web.1', namespace: 'default' },
  eventTime: '2025-01-01T00:00:00.000000Z',
  regarding: { kind: 'Pod', name: 'web', namespace: 'default' },
  note: 'Pulled image',
  reason: 'Pulled',
  type: 'Normal',
  action: 'Pull',
  reportingController: 'kubelet',
  reportingInstance: 'node-1',
});

describe('events.k8s.io Events', () => {
  it('share core storage and convert both ways', () => {
    assert.equal(events!.storageResource, 'events');
    const core = eventToCore(newEvent());
    assert.equal(core.apiVersion, 'v1');
    assert.deepEqual(core['involvedObject'], { kind: 'Pod', name: 'web', namespace: 'default' });
    assert.equal(core['message'], 'Pulled image');
    assert.equal(core['reportingComponent'], 'kubelet');
    assert.deepEqual(eventFromCore(core), newEvent());
  });

  it('answer core field selectors and their events.k8s.io names', () => {
    const f = events!.selectableFields!(newEvent());
    assert.equal(f['involvedObject.name'], 'web');
    assert.equal(f['regarding.name'], 'web');
    assert.equal(f['reportingComponent'], 'kubelet');
    assert.equal(f['source'], 'kubelet');
  });

  it('require the events.k8s.io fields', () => {
    assert.deepEqual(events!.validateCreate!(newEvent()), []);
    const bad = newEvent();
    delete bad['eventTime'];
    bad['type'] = 'Odd';
    bad['deprecatedCount'] = 3;
    assert.deepEqual(events!.validateCreate!(bad).map((e) => e.message), [
      'eventTime: Required value',
      'type: Invalid value: "": has invalid value: Odd',
      'deprecatedCount: Invalid value: "": needs to be unset',
    ]);
  });
});
