import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FallbackSignal } from './flags.ts';
import { ApiError } from './rest.ts';
import { CommandError, dryRunOf, formatObject, goOrder, invalidErrorText, outputOf, rejoinPairs, sortedMap, toKubectlYaml } from './mutate-output.ts';

const flags = (entries: Array<[string, string]>) => new Map<string, string | boolean | string[]>(entries);

describe('mutate-output', () => {
  it('reads --dry-run as kubectl does, rejecting other values with its message', () => {
    assert.equal(dryRunOf(flags([])), 'none');
    assert.equal(dryRunOf(flags([['dry-run', 'client']])), 'client');
    assert.equal(dryRunOf(flags([['dry-run', 'server']])), 'server');
    assert.throws(() => dryRunOf(flags([['dry-run', 'maybe']])), { name: 'CommandError', message: 'Invalid dry-run value (maybe). Must be "none", "server", or "client".' });
  });

  it('models -o yaml|json|name, leaves template printers to the real kubectl, refuses unknown formats', () => {
    assert.equal(outputOf(flags([['output', 'yaml']])), 'yaml');
    assert.throws(() => outputOf(flags([['output', 'jsonpath={.x}']])), FallbackSignal);
    assert.throws(() => outputOf(flags([['output', 'wide']])), (err: Error) => err instanceof CommandError && err.message.startsWith('unable to match a printer suitable for the output format "wide"'));
  });

  it('quotes YAML strings as go-yaml does: double for strings that read as other types, single for the rest', async () => {
    const text = await toKubectlYaml({ b: 'true', a: '1.5', c: '', d: '*/5 * * * *', e: 'plain', f: 'x: y', g: '2001-12-14', h: 'null' });
    assert.equal(text, 'a: "1.5"\nb: "true"\nc: ""\nd: \'*/5 * * * *\'\ne: plain\nf: \'x: y\'\ng: "2001-12-14"\nh: "null"\n');
  });

  it('puts TypeMeta and ObjectMeta fields in Go struct order', () => {
    const ordered = goOrder({ spec: {}, metadata: { labels: {}, name: 'x', namespace: 'n' }, apiVersion: 'v1', kind: 'Pod' });
    assert.deepEqual(Object.keys(ordered), ['kind', 'apiVersion', 'metadata', 'spec']);
    assert.deepEqual(Object.keys(ordered['metadata'] as object), ['name', 'namespace', 'labels']);
  });

  it('prints kind.group/name with the operation and the dry-run suffix, and drops managedFields', async () => {
    const obj = { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'web', managedFields: [{ manager: 'x' }] } };
    const target = { kind: 'Deployment', group: 'apps' };
    assert.equal(await formatObject(obj, target, '', 'created', 'client'), 'deployment.apps/web created (dry run)\n');
    assert.equal(await formatObject(obj, target, '', 'created', 'server'), 'deployment.apps/web created (server dry run)\n');
    assert.equal(await formatObject(obj, target, 'name', 'created', 'none'), 'deployment.apps/web\n');
    assert.doesNotMatch(await formatObject(obj, target, 'yaml', 'created', 'none'), /managedFields/);
  });

  it('rejoins StringArray values the comma-splitting parser cut apart, and sorts Go maps', () => {
    assert.deepEqual(rejoinPairs(['a=1', '2', 'b=3']), ['a=1,2', 'b=3']);
    assert.deepEqual(Object.keys(sortedMap({ b: 1, a: 2 })), ['a', 'b']);
  });

  it('words Invalid server errors as kubectl checkErr does: one cause inline, several a line each', () => {
    const invalid = (details?: object, message = 'bad') => new ApiError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 422, reason: 'Invalid', message, ...(details ? { details } : {}) });
    const cause = (field: string) => ({ field, message: 'Required value' });
    assert.equal(invalidErrorText(invalid()), 'The request is invalid: bad');
    assert.equal(invalidErrorText(invalid({ kind: 'Deployment', name: 'x', causes: [cause('spec.a')] })), 'The Deployment "x" is invalid: spec.a: Required value');
    assert.equal(invalidErrorText(invalid({ kind: 'Deployment', name: 'x', causes: [cause('spec.a'), cause('spec.b')] })), 'The Deployment "x" is invalid: \n* spec.a: Required value\n* spec.b: Required value');
    assert.equal(invalidErrorText(new ApiError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' })), undefined);
  });
});
