import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandFilenames, findKind, ManifestError, parseDocuments } from './manifest.ts';
import type { DiscoveryData } from './discovery.ts';

describe('parseDocuments', () => {
  it('reads every document of a YAML stream, skipping empty ones and flattening Lists', async () => {
    const text = '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# nothing\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n- {apiVersion: v1, kind: Service, metadata: {name: c}}\n';
    const docs = await parseDocuments(text, 'x.yaml');
    assert.deepEqual(docs.map((d) => `${String(d['kind'])}/${String(d.metadata?.['name'])}`), ['ConfigMap/a', 'Secret/b', 'Service/c']);
  });

  it('reads JSON, and YAML 1.1 scalars as kubectl does', async () => {
    const [obj] = await parseDocuments('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}', 'x.json');
    assert.equal(obj?.['kind'], 'ConfigMap');
    const [yes] = await parseDocuments('a: yes\nb: 0755\nc: "1"\n', 'y.yaml');
    assert.deepEqual(yes, { a: true, b: 493, c: '1' });
  });
});

describe('expandFilenames', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-manifest-'));
    await mkdir(join(dir, 'sub'));
    for (const f of ['b.yaml', 'a.json', 'notes.txt', 'c.yml', 'sub/d.yaml']) await writeFile(join(dir, f), '');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('walks a directory in lexical order, manifests only, sub-directories only with -R', () => {
    assert.deepEqual(expandFilenames([dir], false).map((f) => f.source), ['a.json', 'b.yaml', 'c.yml'].map((f) => join(dir, f)));
    assert.deepEqual(expandFilenames([dir], true).map((f) => f.source), ['a.json', 'b.yaml', 'c.yml', 'sub/d.yaml'].map((f) => join(dir, f)));
  });

  it('takes a named file whatever its extension, `-` as STDIN, and rejects a missing path in kubectl words', () => {
    assert.deepEqual(expandFilenames([join(dir, 'notes.txt'), '-'], false), [{ source: join(dir, 'notes.txt'), path: join(dir, 'notes.txt') }, { source: 'STDIN', path: undefined }]);
    assert.throws(() => expandFilenames(['nope.yaml'], false), (err: unknown) => err instanceof ManifestError && err.message === 'the path "nope.yaml" does not exist');
  });

  it('expands a pattern in the last path segment, as kubectl globs -f', () => {
    assert.deepEqual(expandFilenames([join(dir, '*.y*ml')], false).map((f) => f.source), [join(dir, 'b.yaml'), join(dir, 'c.yml')]);
    assert.throws(() => expandFilenames([join(dir, '*.nothing')], false), ManifestError);
  });
});

describe('findKind', () => {
  const r = (group: string, version: string, resource: string, kind: string) => ({ group, version, resource, kind, singular: '', shortNames: [], namespaced: true, verbs: [], categories: [] });
  const data: DiscoveryData = { groupVersions: [], resources: [r('', 'v1', 'pods', 'Pod'), r('', 'v1', 'pods/status', 'Pod'), r('apps', 'v1', 'deployments', 'Deployment')] };
  it('maps apiVersion and kind to the top-level resource of exactly that version', () => {
    assert.equal(findKind(data, 'v1', 'Pod')?.resource, 'pods');
    assert.equal(findKind(data, 'apps/v1', 'Deployment')?.resource, 'deployments');
    assert.equal(findKind(data, 'apps/v1beta1', 'Deployment'), undefined);
  });
});
