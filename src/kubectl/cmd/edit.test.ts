import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMergePatch, editHeader, editorArgs, hasContent, manualStrip } from './edit.ts';

describe('kubectl edit', () => {
  it('writes the header and each failure with its causes as comments', () => {
    const text = editHeader([{ head: 'deployments.apps "x" was not valid', other: ['spec.replicas: Invalid value: -1: must be greater than or equal to 0'] }]);
    assert.ok(text.startsWith("# Please edit the object below. Lines beginning with a '#' will be ignored,\n"));
    assert.ok(text.endsWith('#\n# deployments.apps "x" was not valid:\n# * spec.replicas: Invalid value: -1: must be greater than or equal to 0\n#\n'));
  });

  it('strips comment lines (not #!) and tells an empty file apart', () => {
    assert.equal(manualStrip('# a\nb: 1\n  # c\n#!x'), 'b: 1\n#!x');
    assert.ok(!hasContent('# only\n\n  '));
    assert.ok(hasContent('# c\nkind: Pod'));
  });

  it('makes a JSON merge patch: changed and new fields, null for removed ones, lists whole', () => {
    assert.deepEqual(createMergePatch({ a: 1, b: { c: 1, d: 2 }, l: [1, 2] }, { a: 1, b: { c: 3 }, l: [1], e: true }), { b: { c: 3, d: null }, l: [1], e: true });
  });

  it('chooses the editor as kubectl does: KUBE_EDITOR, EDITOR, vi; a shell only for quoted commands', () => {
    assert.deepEqual(editorArgs({}, '/f').args, ['vi', '/f']);
    assert.deepEqual(editorArgs({ EDITOR: 'code --wait', KUBE_EDITOR: '' }, '/f').args, ['code', '--wait', '/f']);
    assert.deepEqual(editorArgs({ KUBE_EDITOR: "sed -i 's/a/b/'", SHELL: '/bin/sh' }, '/f').args, ['/bin/sh', '-c', `sed -i 's/a/b/' "/f"`]);
  });
});
