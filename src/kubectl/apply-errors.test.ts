import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../client/errors.ts';
import { addSource, ErrorList, errorText, usageError } from './apply-errors.ts';

const invalid = (causes: Array<{ field: string; message: string }>) =>
  new ApiError({ kind: 'Status', code: 422, reason: 'Invalid', message: 'Service "x" is invalid: …', details: { kind: 'Service', name: 'x', causes } });

describe('errorText', () => {
  it('prints an Invalid error as kubectl does: one cause on the line, several as a list', () => {
    assert.equal(errorText(invalid([{ field: 'spec.ports[0].port', message: 'Invalid value: 0: bad' }])), 'The Service "x" is invalid: spec.ports[0].port: Invalid value: 0: bad\n');
    const two = invalid([
      { field: 'a', message: 'm1' },
      { field: 'b', message: 'm2' },
    ]);
    assert.equal(errorText(addSource('creating', 'x.yaml', two)), 'The Service "x" is invalid: \n* a: m1\n* b: m2\n');
  });

  it('names the source file in server errors, and prefixes other errors with error:', () => {
    const notFound = new ApiError({ kind: 'Status', code: 404, reason: 'NotFound', message: 'configmaps "c" not found' });
    assert.equal(errorText(addSource('deleting', 'c.yaml', notFound)), 'Error from server (NotFound): error when deleting "c.yaml": configmaps "c" not found\n');
    assert.equal(errorText(new Error('the path "x" does not exist')), 'error: the path "x" does not exist\n');
    assert.equal(errorText(usageError('apply', 'Unexpected args: [a]')), "error: Unexpected args: [a]\nSee 'kubectl apply -h' for help and examples\n");
  });

  it('prints several errors one a line without the error: prefix', () => {
    const notFound = new ApiError({ kind: 'Status', code: 404, reason: 'NotFound', message: 'gone' });
    assert.equal(errorText(new ErrorList([new Error('a'), notFound])), 'a\nError from server (NotFound): gone\n');
  });
});
