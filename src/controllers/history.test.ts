// ControllerRevision naming, hashing and ordering.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeTemplateHash,
  controllerRevisionName,
  equalRevision,
  fnv32,
  goJSON,
  hashRevisionData,
  nextRevision,
  REVISION_DATA_HASH_LABEL,
  safeEncodeString,
  sortRevisions,
  templateOfRevision,
  templatePatch,
  type Revision,
} from './history.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('history', () => {
  it('hashes with 32-bit FNV-1 and FNV-1a as Go does', () => {
    assert.equal(fnv32(bytes(''), false), 0x811c9dc5);
    assert.equal(fnv32(bytes('a'), false), 0x050c5d7e);
    assert.equal(fnv32(bytes('a'), true), 0xe40c292c);
    assert.equal(fnv32(bytes('foobar'), false), 0x31f0b262);
    assert.equal(fnv32(bytes('foobar'), true), 0xbf9cf968);
    // Writing in two parts continues the same hash.
    assert.equal(fnv32(bytes('bar'), true, fnv32(bytes('foo'), true)), 0xbf9cf968);
  });

  it('encodes digits onto the letters rand.SafeEncodeString uses', () => {
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
    assert.match(hashRevisionData('{}', 0), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.notEqual(hashRevisionData('{}', 0), hashRevisionData('{}', 1));
    assert.notEqual(computeTemplateHash({ metadata: { labels: { a: 'b' } } }), computeTemplateHash({ metadata: { labels: { a: 'b' } } }, 0));
    assert.equal(computeTemplateHash({ metadata: { labels: { a: 'b' } } }), computeTemplateHash({ metadata: { labels: { a: 'b' } } }));
  });

  it('prints JSON as Go: keys sorted at every level, HTML characters escaped', () => {
    assert.equal(goJSON({ b: 1, a: { d: [{ z: 1, y: 2 }], c: '<&>' } }), '{"a":{"c":"\\u003c\\u0026\\u003e","d":[{"y":2,"z":1}]},"b":1}');
  });

  it('stores the template as a replace patch and reads it back', () => {
    const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const raw = templatePatch(template);
    assert.equal(raw, '{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"image":"i","name":"c"}]}}}}');
    const rev = { revision: 1, data: JSON.parse(raw) as object } as Revision;
    assert.deepEqual(templateOfRevision(rev), template);
  });

  it('names revisions <prefix>-<hash> within 253 characters', () => {
    assert.equal(controllerRevisionName('web', 'abc'), 'web-abc');
    assert.equal(controllerRevisionName('x'.repeat(300), 'abc').length, 223 + 4);
  });

  it('orders revisions by number, then creation, then name; equality by hash label and data', () => {
    const rev = (name: string, revision: number, created: string, data: object = {}, hash?: string): Revision => ({
      metadata: { name, creationTimestamp: created, ...(hash ? { labels: { [REVISION_DATA_HASH_LABEL]: hash } } : {}) },
      revision,
      data,
    });
    const sorted = sortRevisions([rev('c', 2, '2024-01-01T00:00:00Z'), rev('b', 1, '2024-01-02T00:00:00Z'), rev('a', 1, '2024-01-02T00:00:00Z'), rev('z', 1, '2024-01-01T00:00:00Z')]);
    assert.deepEqual(
      sorted.map((r) => r.metadata!.name),
      ['z', 'a', 'b', 'c'],
    );
    assert.equal(nextRevision(sorted), 3);
    assert.equal(nextRevision([]), 1);
    assert.ok(equalRevision(rev('a', 1, '', { x: 1, y: 2 }), rev('b', 5, '', { y: 2, x: 1 })));
    assert.ok(!equalRevision(rev('a', 1, '', { x: 1 }, 'h1'), rev('b', 1, '', { x: 1 }, 'h2')));
    assert.ok(!equalRevision(rev('a', 1, '', { x: 1 }), rev('b', 1, '', { x: 2 })));
  });
});
