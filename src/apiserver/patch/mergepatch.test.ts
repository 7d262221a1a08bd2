import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMergePatch, cloneJson, mergePatchBodyError } from './mergepatch.ts';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

describe('applyMergePatch', () => {
  it('gives the results of RFC 7386 appendix A', () => {
    const cases: Array<[unknown, unknown, unknown]> = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [['a', 'b'], ['c', 'd'], ['c', 'd']],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, result] of cases) {
      assert.deepEqual(applyMergePatch(deepFreeze(target), deepFreeze(patch)), result, JSON.stringify([target, patch]));
    }
  });

  it("merges the RFC's section 3 example", () => {
    const target = {
      title: 'Goodbye!',
      author: { givenName: 'John', familyName: 'Doe' },
      tags: ['example', 'sample'],
      content: 'This will be unchanged',
    };
    const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
    assert.deepEqual(applyMergePatch(target, patch), {
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'This will be unchanged',
      phoneNumber: '+01-123-456-7890',
    });
  });

  it('keeps the order of existing members and appends new ones', () => {
    const out = applyMergePatch({ a: 1, b: 2, c: 3 }, { d: 4, a: 5 }) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ['a', 'b', 'c', 'd']);
  });

  it('neither changes its inputs nor shares objects with the result', () => {
    const target = { metadata: { labels: { a: 'b' } }, spec: { list: [{ x: 1 }] } };
    const patch = { metadata: { annotations: { n: 'v' } }, status: { conds: [{ y: 2 }] } };
    const before = JSON.stringify([target, patch]);
    const out = applyMergePatch(target, patch) as any;
    out.metadata.labels.a = 'changed';
    out.spec.list[0].x = 9;
    out.status.conds[0].y = 9;
    assert.equal(JSON.stringify([target, patch]), before);
  });

  it('treats a "__proto__" member as data', () => {
    const out = applyMergePatch({}, JSON.parse('{"__proto__":{"polluted":1}}')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('optionally prunes nulls inside arrays as kube-apiserver does', () => {
    assert.deepEqual(applyMergePatch({}, { a: [{ b: null, c: 1 }, null] }), { a: [{ b: null, c: 1 }, null] });
    assert.deepEqual(applyMergePatch({}, { a: [{ b: null, c: 1 }, null] }, { kubernetes: true }), { a: [{ c: 1 }, null] });
    assert.deepEqual(applyMergePatch({ a: 'x' }, { a: [{ b: null }] }, { kubernetes: true }), { a: [{}] });
    // A target object member replaced by an array keeps the array as sent.
    assert.deepEqual(applyMergePatch({ a: {} }, { a: [{ b: null }] }, { kubernetes: true }), { a: [{ b: null }] });
    assert.deepEqual(applyMergePatch({ a: 'x' }, [{ b: null }, null], { kubernetes: true }), [{}, null]);
  });
});

describe('mergePatchBodyError', () => {
  it("answers kube-apiserver's 400 messages", () => {
    assert.equal(mergePatchBodyError({ a: 1 }), undefined);
    assert.equal(mergePatchBodyError([1]), 'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}');
    assert.equal(mergePatchBodyError('x', 'Strict'), 'error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}');
    assert.equal(mergePatchBodyError(true), 'error decoding patch: json: cannot unmarshal bool into Go value of type map[string]interface {}');
    assert.equal(mergePatchBodyError(null), 'Invalid JSON Patch');
    assert.equal(mergePatchBodyError(5, 'Ignore'), 'Invalid JSON Patch');
    assert.equal(mergePatchBodyError([1], 'Ignore'), undefined);
  });
});

describe('cloneJson', () => {
  it('copies deeply', () => {
    const v = { a: [{ b: 1 }], c: null };
    const c = cloneJson(v);
    assert.deepEqual(c, v);
    assert.notEqual(c.a[0], v.a[0]);
  });
});
