import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain } from './chain.ts';
import { attrs, pod } from './testutil.ts';
import type { AdmissionPlugin, Operation } from './types.ts';

function recorder(name: string, ops: Operation[], calls: string[], fail?: 'admit' | 'validate'): AdmissionPlugin {
  return {
    name,
    handles: (op) => ops.includes(op),
    admit(a) {
      calls.push(`${name}.admit`);
      a.object!.metadata!.labels = { ...a.object!.metadata!.labels, [name]: 'seen' };
      if (fail === 'admit') throw new Error(`${name} says no`);
    },
    validate(a) {
      calls.push(`${name}.validate:${Object.keys(a.object!.metadata!.labels ?? {}).join(',')}`);
      if (fail === 'validate') throw new Error(`${name} says no`);
    },
  };
}

describe('AdmissionChain', () => {
  it('runs mutating plugins in order, then validating ones, each only for the operations it handles', async () => {
    const calls: string[] = [];
    const chain = new AdmissionChain([recorder('a', ['CREATE'], calls), recorder('b', ['CREATE', 'UPDATE'], calls), recorder('c', ['DELETE'], calls)]);
    const a = attrs('pods', 'CREATE', pod('p', [{ name: 'c' }]));
    await chain.admit(a);
    await chain.validate(a);
    assert.deepEqual(calls, ['a.admit', 'b.admit', 'a.validate:a,b', 'b.validate:a,b']);
    assert.equal(chain.handles('DELETE'), true);
    assert.equal(new AdmissionChain([recorder('a', ['CREATE'], [])]).handles('DELETE'), false);
  });

  it('stops at the first plugin that refuses', async () => {
    const calls: string[] = [];
    const chain = new AdmissionChain([recorder('a', ['CREATE'], calls, 'admit'), recorder('b', ['CREATE'], calls)]);
    await assert.rejects(chain.admit(attrs('pods', 'CREATE', pod('p', [{ name: 'c' }]))), /a says no/);
    assert.deepEqual(calls, ['a.admit']);
  });
});
