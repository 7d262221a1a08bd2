import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventInterval, eventRow, goMicroTime, goTime, sortEvents, typedEvent } from './events-format.ts';

const now = Date.parse('2026-01-01T12:00:00Z');

describe('events formatting', () => {
  it('sorts by series observation, else lastTimestamp, else eventTime, keeping ties in order', () => {
    const events = [
      { metadata: { name: 'a' }, lastTimestamp: '2026-01-01T11:59:00Z' },
      { metadata: { name: 'b' }, eventTime: '2026-01-01T11:00:00.000000Z', series: { count: 2, lastObservedTime: '2026-01-01T11:59:30.000000Z' } },
      { metadata: { name: 'c' }, eventTime: '2026-01-01T11:30:00.000000Z' },
      { metadata: { name: 'd' } },
      { metadata: { name: 'e' } },
    ];
    assert.deepEqual(
      sortEvents(events).map((e) => e.metadata.name),
      ['d', 'e', 'c', 'a', 'b'],
    );
  });

  it('shows repeats as "(xN over AGE)"', () => {
    assert.equal(eventInterval({ count: 5, firstTimestamp: '2026-01-01T11:50:00Z', lastTimestamp: '2026-01-01T11:59:30Z' }, now), '30s (x5 over 10m)');
    assert.equal(eventInterval({ eventTime: '2026-01-01T11:00:00.000000Z', series: { count: 3, lastObservedTime: '2026-01-01T11:59:00.000000Z' } }, now), '60s (x3 over 60m)');
    assert.equal(eventInterval({ count: 1, firstTimestamp: '2026-01-01T11:55:00Z' }, now), '5m');
    assert.equal(eventInterval({}, now), '<unknown>');
  });

  it('prints a row with the namespace for -A and the message trimmed', () => {
    const e = { metadata: { namespace: 'shop' }, type: 'Warning', reason: 'BackOff', involvedObject: { kind: 'Pod', name: 'p' }, message: ' waiting \n', firstTimestamp: '2026-01-01T11:59:00Z' };
    assert.equal(eventRow(e, true, now), 'shop\t60s\tWarning\tBackOff\tPod/p\twaiting\n');
    assert.equal(eventRow(e, false, now), '60s\tWarning\tBackOff\tPod/p\twaiting\n');
  });

  it('writes the typed Event in Go field order with nulls for unset times', () => {
    const typed = typedEvent({
      metadata: { uid: 'u', name: 'n', namespace: 'ns', managedFields: [{}], creationTimestamp: '2026-01-01T00:00:00Z' },
      type: 'Normal',
      reason: 'R',
      involvedObject: { apiVersion: 'v1', name: 'p', kind: 'Pod' },
      eventTime: '2026-01-01T00:00:00.5Z',
    });
    assert.deepEqual(Object.keys(typed), ['kind', 'apiVersion', 'metadata', 'involvedObject', 'reason', 'source', 'firstTimestamp', 'lastTimestamp', 'type', 'eventTime', 'reportingComponent', 'reportingInstance']);
    assert.deepEqual(Object.keys(typed['metadata']), ['name', 'namespace', 'uid', 'creationTimestamp']);
    assert.deepEqual(Object.keys(typed['involvedObject']), ['kind', 'name', 'apiVersion']);
    assert.equal(typed['firstTimestamp'], null);
    assert.equal(typed['eventTime'], '2026-01-01T00:00:00.500000Z');
    assert.deepEqual(typed['source'], {});
  });

  it('formats Time and MicroTime as apimachinery does', () => {
    assert.equal(goTime('2026-01-01T00:00:00.999Z'), '2026-01-01T00:00:00Z');
    assert.equal(goMicroTime('2026-01-01T00:00:00.123456789Z'), '2026-01-01T00:00:00.123456Z');
    assert.equal(goMicroTime(undefined), null);
  });
});
