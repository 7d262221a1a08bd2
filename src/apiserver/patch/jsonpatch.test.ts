import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../status.ts';
import {
  JsonPatchError,
  applyFailedMessage,
  applyJsonPatch,
  decodeJsonPatch,
  maxJsonPatchOperations,
  type JsonPatchOperation,
} from './jsonpatch.ts';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function patchError(fn: () => unknown): JsonPatchError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof JsonPatchError, `expected JsonPatchError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a JsonPatchError');
}

const apply = (doc: unknown, ops: unknown[]) => applyJsonPatch(deepFreeze(doc), deepFreeze(ops) as JsonPatchOperation[]);

function applyFails(doc: unknown, ops: unknown[], detail: string): void {
  const e = patchError(() => apply(doc, ops));
  assert.equal(e.code, 422);
  assert.equal(e.reason, 'Invalid');
  assert.equal(e.statusMessage, applyFailedMessage);
  assert.equal(e.message, detail);
}

describe('applyJsonPatch: RFC 6902 appendix A', () => {
  it('A.1 adds an object member', () => {
    assert.deepEqual(apply({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }]), { baz: 'qux', foo: 'bar' });
  });
  it('A.2 adds an array element', () => {
    assert.deepEqual(apply({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }]), { foo: ['bar', 'qux', 'baz'] });
  });
  it('A.3 removes an object member', () => {
    assert.deepEqual(apply({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }]), { foo: 'bar' });
  });
  it('A.4 removes an array element', () => {
    assert.deepEqual(apply({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }]), { foo: ['bar', 'baz'] });
  });
  it('A.5 replaces a value', () => {
    assert.deepEqual(apply({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }]), { baz: 'boo', foo: 'bar' });
  });
  it('A.6 moves a value', () => {
    assert.deepEqual(
      apply({ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }]),
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    );
  });
  it('A.7 moves an array element', () => {
    assert.deepEqual(apply({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }]), {
      foo: ['all', 'cows', 'eat', 'grass'],
    });
  });
  it('A.8 tests values successfully', () => {
    const doc = { baz: 'qux', foo: ['a', 2, 'c'] };
    assert.deepEqual(apply(doc, [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }]), doc);
  });
  it('A.9 fails a test', () => {
    applyFails({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }], 'testing value /baz failed: test failed');
  });
  it('A.10 adds a nested member object', () => {
    assert.deepEqual(apply({ foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }]), { foo: 'bar', child: { grandchild: {} } });
  });
  it('A.11 ignores unrecognised members', () => {
    assert.deepEqual(apply({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }]), { foo: 'bar', baz: 'qux' });
  });
  it('A.12 refuses to add to a nonexistent target', () => {
    applyFails({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }], 'add operation does not apply: doc is missing path: "/baz/bat": missing value');
  });
  it('A.13 applies the last of duplicate members, as JSON parsing leaves it', () => {
    const ops = JSON.parse('[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]') as unknown[];
    applyFails({ foo: 'bar' }, ops, "error in remove for path: '/baz': Unable to remove nonexistent key: baz: missing value");
  });
  it('A.14 decodes ~01 as ~1', () => {
    const doc = { '/': 9, '~1': 10 };
    assert.deepEqual(apply(doc, [{ op: 'test', path: '/~01', value: 10 }]), doc);
    assert.deepEqual(apply(doc, [{ op: 'remove', path: '/~1' }]), { '~1': 10 });
  });
  it('A.15 does not equate strings and numbers', () => {
    applyFails({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }], 'testing value /~01 failed: test failed');
  });
  it('A.16 adds an array value', () => {
    assert.deepEqual(apply({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }]), { foo: ['bar', ['abc', 'def']] });
  });
});

describe('applyJsonPatch: as kube-apiserver applies it', () => {
  const doc = { foo: 'bar', arr: [1, 2, 3], obj: { n: null } };

  it('adds a member that "replace" does not find, but not an array element', () => {
    assert.deepEqual(apply(doc, [{ op: 'replace', path: '/new', value: 1 }]), { ...doc, new: 1 });
    applyFails(doc, [{ op: 'replace', path: '/arr/3', value: 1 }], 'replace operation does not apply: doc is missing key: /arr/3: missing value');
  });

  it('counts negative indices from the end', () => {
    assert.deepEqual(apply(doc, [{ op: 'add', path: '/arr/-1', value: 'x' }]), { ...doc, arr: [1, 2, 3, 'x'] });
    assert.deepEqual(apply(doc, [{ op: 'remove', path: '/arr/-1' }]), { ...doc, arr: [1, 2] });
    assert.deepEqual(apply(doc, [{ op: 'replace', path: '/arr/-3', value: 0 }]), { ...doc, arr: [0, 2, 3] });
    applyFails(doc, [{ op: 'remove', path: '/arr/-4' }], "error in remove for path: '/arr/-4': Unable to access invalid index: -4: invalid index referenced");
  });

  it('reads indices as Go does and explains bad ones', () => {
    assert.deepEqual(apply(doc, [{ op: 'add', path: '/arr/01', value: 'x' }]), { ...doc, arr: [1, 'x', 2, 3] });
    applyFails(doc, [{ op: 'add', path: '/arr/4', value: 'x' }], "error in add for path: '/arr/4': Unable to access invalid index: 4: invalid index referenced");
    applyFails(
      doc,
      [{ op: 'add', path: '/arr/a', value: 'x' }],
      `error in add for path: '/arr/a': value was not a proper array index: 'a': strconv.Atoi: parsing "a": invalid syntax`,
    );
    applyFails(doc, [{ op: 'remove', path: '/arr/-' }], `error in remove for path: '/arr/-': strconv.Atoi: parsing "-": invalid syntax`);
  });

  it('treats null and missing alike in "test", and a missing value as null', () => {
    assert.deepEqual(apply(doc, [{ op: 'test', path: '/obj/n', value: null }, { op: 'test', path: '/nope' }]), doc);
    assert.deepEqual(apply(doc, [{ op: 'test', path: '/nope', value: null }]), doc);
    applyFails(doc, [{ op: 'test', path: '/foo' }], 'testing value /foo failed: test failed');
    assert.deepEqual(apply(doc, [{ op: 'add', path: '/v' }]), { ...doc, v: null });
  });

  it('copies null from a missing member', () => {
    assert.deepEqual(apply(doc, [{ op: 'copy', from: '/nope', path: '/c' }]), { ...doc, c: null });
    applyFails(doc, [{ op: 'copy', from: '/arr/9', path: '/c' }], "error in copy for from: '/arr/9': Unable to access invalid index: 9: invalid index referenced");
  });

  it('works on the whole document only with replace and test', () => {
    assert.deepEqual(apply(doc, [{ op: 'replace', path: '', value: { a: 1 } }]), { a: 1 });
    assert.deepEqual(apply(doc, [{ op: 'test', path: '', value: doc }]), doc);
    applyFails(doc, [{ op: 'add', path: '', value: {} }], 'add operation does not apply: doc is missing path: "": missing value');
    applyFails(doc, [{ op: 'replace', path: '', value: 1 }], 'replace operation value must be object or array');
    applyFails(doc, [{ op: 'test', path: '', value: {} }], 'testing value  failed: test failed');
  });

  it('names unknown and missing fields', () => {
    applyFails(doc, [{ op: 'frob', path: '/foo' }], 'Unexpected kind: frob');
    applyFails(doc, [{ path: '/foo' }], 'Unexpected kind: unknown');
    applyFails(doc, [null], 'Unexpected kind: unknown');
    applyFails(doc, [{ op: 'add', value: 1 }], 'add operation failed to decode path: missing value');
    applyFails(doc, [{ op: 'move', path: '/x' }], 'move operation failed to decode from: operation, missing from field: missing value');
    applyFails(doc, [{ op: 'move', from: '/nope', path: '/x' }], "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value");
  });

  it('moves and copies through arrays and objects', () => {
    assert.deepEqual(apply(doc, [{ op: 'move', from: '/arr/0', path: '/arr/-' }]), { ...doc, arr: [2, 3, 1] });
    const out = apply(doc, [{ op: 'copy', from: '/obj', path: '/arr/0' }]) as any;
    assert.deepEqual(out.arr, [{ n: null }, 1, 2, 3]);
    assert.notEqual(out.arr[0], out.obj);
  });

  it('stops "copy" from growing the document past the limit', () => {
    const big = { s: 'x'.repeat(100), l: [] as string[] };
    const ops = [{ op: 'copy', from: '/s', path: '/l/-' }, { op: 'copy', from: '/s', path: '/l/-' }];
    assert.equal((applyJsonPatch(big, ops, { copySizeLimit: 204 }) as any).l.length, 2);
    const e = patchError(() => applyJsonPatch(big, ops, { copySizeLimit: 203 }));
    assert.equal(e.message, 'Unable to complete the copy, the accumulated size increase of copy is 204, exceeding the limit 203');
  });

  it('changes no input and shares no objects with the result', () => {
    const d = { a: { b: [1] } };
    const value = { deep: { x: 1 } };
    const ops = [{ op: 'add', path: '/v', value }, { op: 'add', path: '/v/deep/y', value: 2 }];
    const out = applyJsonPatch(d, ops) as any;
    assert.deepEqual(value, { deep: { x: 1 } });
    out.a.b.push(2);
    assert.deepEqual(d, { a: { b: [1] } });
  });

  it('applies in order and stops at the first failure', () => {
    assert.deepEqual(
      apply(doc, [{ op: 'add', path: '/a', value: 1 }, { op: 'test', path: '/a', value: 1 }, { op: 'remove', path: '/a' }, { op: 'test', path: '/a' }]),
      doc,
    );
    applyFails(doc, [{ op: 'remove', path: '/foo' }, { op: 'remove', path: '/foo' }], "error in remove for path: '/foo': Unable to remove nonexistent key: foo: missing value");
  });
});

describe('JsonPatchError', () => {
  it('becomes the Status kube-apiserver answers when an operation does not apply', () => {
    const e = patchError(() => apply({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]));
    const s = e.toStatusError();
    assert.ok(s instanceof StatusError);
    assert.deepEqual(s.toStatus(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    });
    assert.equal(e.name, 'JsonPatchError');
  });
});

describe('decodeJsonPatch', () => {
  it('accepts a list of operations and reports unknown members', () => {
    const { operations, strictErrors } = decodeJsonPatch([{ op: 'add', path: '/a', value: 1, xyz: 1 }, null, { op: 'remove', path: '/b', xyz: 2 }]);
    assert.equal(operations.length, 3);
    assert.deepEqual(operations[1], {});
    assert.deepEqual(strictErrors, ['json patch unknown field "xyz"']);
    assert.deepEqual(decodeJsonPatch(null).operations, []);
  });

  it("answers kube-apiserver's 400 messages for bodies of the wrong shape", () => {
    const cases: Array<[unknown, 'Strict' | 'Warn' | 'Ignore', string]> = [
      [{ op: 'add' }, 'Warn', 'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp'],
      ['x', 'Strict', 'error decoding patch: json: cannot unmarshal string into Go value of type []handlers.jsonPatchOp'],
      [[1], 'Warn', 'error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp'],
      [[{ op: 'add', path: 5 }], 'Warn', 'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string'],
      [[{ op: ['add'] }], 'Warn', 'error decoding patch: json: cannot unmarshal array into Go struct field jsonPatchOp.op of type string'],
      [{ op: 'add' }, 'Ignore', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
      [[true], 'Ignore', 'json: cannot unmarshal bool into Go value of type jsonpatch.Operation'],
    ];
    for (const [body, validation, message] of cases) {
      const e = patchError(() => decodeJsonPatch(body, validation));
      assert.equal(e.code, 400);
      assert.equal(e.reason, 'BadRequest');
      assert.equal(e.statusMessage, message);
      assert.equal(e.toStatusError().toStatus().details, undefined);
    }
    // Under Ignore a non-string path is left for apply to reject.
    assert.equal(decodeJsonPatch([{ op: 'add', path: 5 }], 'Ignore').operations.length, 1);
  });

  it(`refuses more than ${maxJsonPatchOperations} operations with 413`, () => {
    const ops = Array.from({ length: maxJsonPatchOperations + 1 }, () => ({ op: 'test', path: '/a', value: 1 }));
    const e = patchError(() => decodeJsonPatch(ops));
    assert.equal(e.code, 413);
    assert.equal(e.reason, 'RequestEntityTooLarge');
    assert.equal(e.statusMessage, 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
    assert.equal(decodeJsonPatch(ops.slice(1)).operations.length, maxJsonPatchOperations);
  });
});
