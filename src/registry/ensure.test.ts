import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UnknownBuiltinImageError } from './build.ts';
import { ensureBuiltinImages, socketPath, type ImageStore } from './ensure.ts';
import type { ImageRecipe } from './recipe.ts';
import { Rootfs } from './rootfs.ts';

function recipe(name: string, counter: { resolves: number; builds: number }): ImageRecipe {
  return {
    name,
    repository: `docker.io/library/${name}`,
    recipeVersion: 1,
    async resolve() {
      counter.resolves++;
      return {
        inputs: { pkg: '1.0' },
        version: '1.0',
        build: async () => {
          counter.builds++;
          return { rootfs: new Rootfs().file('x', name) };
        },
      };
    },
  };
}

/** An image store that records imports; an import adds the archive's references (as containerd would). */
function fakeStore(present: string[]): ImageStore & { imported: string[]; closed: boolean } {
  const refs = new Set(present);
  const store = {
    imported: [] as string[],
    closed: false,
    references: async () => new Set(refs),
    importArchive: async (file: string) => {
      store.imported.push(path.basename(file));
      const name = path.basename(file).split('-')[0]!;
      refs.add(`docker.io/library/${name}:latest`);
      refs.add(`docker.io/library/${name}:1.0`);
    },
    close: () => void (store.closed = true),
  };
  return store;
}

describe('ensureBuiltinImages', () => {
  let dataDir: string;
  const counter = { resolves: 0, builds: 0 };
  const recipes = [recipe('alpha', counter), recipe('beta', counter)];
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'skiff-ensure-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('builds and imports only what the store lacks, by its :latest reference', async () => {
    const store = fakeStore(['docker.io/library/alpha:latest']);
    const result = await ensureBuiltinImages({ dataDir, endpoint: 'unused' }, store, recipes);
    assert.deepEqual(result, [
      { name: 'alpha', references: ['docker.io/library/alpha:latest'], action: 'present', built: false },
      { name: 'beta', references: ['docker.io/library/beta:latest', 'docker.io/library/beta:1.0'], action: 'imported', built: true, archive: result[1]!.archive },
    ]);
    assert.equal(store.imported.length, 1);
    assert.match(store.imported[0]!, /^beta-[0-9a-f]{16}\.tar$/);
    assert.equal(counter.builds, 1);
    assert.equal(store.closed, true);
  });

  it('imports the cached archive into a store that lost the image, without resolving or building', async () => {
    const before = { ...counter };
    const store = fakeStore([]);
    const result = await ensureBuiltinImages({ dataDir, endpoint: 'unused', images: ['beta'] }, store, recipes);
    assert.deepEqual(
      result.map((r) => [r.name, r.action, r.built]),
      [['beta', 'imported', false]],
    );
    assert.deepEqual(counter, before);
  });

  it('does nothing when everything is present', async () => {
    const before = { ...counter };
    const store = fakeStore(['docker.io/library/alpha:latest', 'docker.io/library/beta:latest', 'docker.io/library/beta:1.0']);
    const result = await ensureBuiltinImages({ dataDir, endpoint: 'unused' }, store, recipes);
    assert.deepEqual(
      result.map((r) => [r.name, r.action, r.references]),
      [
        ['alpha', 'present', ['docker.io/library/alpha:latest']],
        ['beta', 'present', ['docker.io/library/beta:latest', 'docker.io/library/beta:1.0']],
      ],
    );
    assert.deepEqual(store.imported, []);
    assert.deepEqual(counter, before);
  });

  it('takes images by reference and refuses ones it cannot build', async () => {
    const result = await ensureBuiltinImages({ dataDir, endpoint: 'unused', images: ['beta:1.0', 'docker.io/library/beta'] }, fakeStore(['docker.io/library/beta:latest']), recipes);
    assert.deepEqual(
      result.map((r) => r.name),
      ['beta'],
    );
    const store = fakeStore([]);
    await assert.rejects(ensureBuiltinImages({ dataDir, endpoint: 'unused', images: ['gamma'] }, store, recipes), UnknownBuiltinImageError);
    assert.equal(store.closed, true);
  });

  it('accepts the endpoint as a path or a unix:// URL', () => {
    assert.equal(socketPath('unix:///run/c.sock'), '/run/c.sock');
    assert.equal(socketPath('/run/c.sock'), '/run/c.sock');
  });
});
