import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImage, BUILTIN_IMAGES, cacheKey, imageCacheDir, lastBuild, recipeFor, UnknownBuiltinImageError } from './build.ts';
import type { ImageRecipe } from './recipe.ts';
import { Rootfs } from './rootfs.ts';
import { openOciArchive } from './testing.ts';

/** A recipe whose input version the test sets, counting its builds. */
function fakeRecipe(version = { value: '1.0-1' }, recipeVersion = 1): ImageRecipe & { builds: number } {
  const recipe = {
    name: 'fake',
    repository: 'docker.io/library/fake',
    recipeVersion,
    builds: 0,
    async resolve() {
      const v = version.value;
      return {
        inputs: { 'fake-package': v },
        version: v.split('-')[0]!,
        build: async () => {
          recipe.builds++;
          return { rootfs: new Rootfs().file('bin/fake', `fake ${v}\n`, 0o755).dir('tmp', 0o1777), cmd: ['/bin/fake'], exposedPorts: ['8080/tcp'], stopSignal: 'SIGQUIT' };
        },
      };
    },
  };
  return recipe;
}

describe('built-in image cache', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'skiff-images-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('builds an OCI archive tagged latest and with the version, under <data-dir>/images', async () => {
    const recipe = fakeRecipe();
    const image = await buildImage(recipe, { dataDir });
    assert.equal(image.built, true);
    assert.deepEqual(image.references, ['docker.io/library/fake:latest', 'docker.io/library/fake:1.0']);
    assert.equal(path.dirname(image.archive), imageCacheDir(dataDir));
    const opened = openOciArchive(image.archive);
    try {
      assert.deepEqual(
        opened.index.manifests.map((m) => m.annotations['io.containerd.image.name']),
        ['docker.io/library/fake:latest', 'docker.io/library/fake:1.0'],
      );
      assert.deepEqual(
        opened.index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']),
        ['latest', '1.0'],
      );
      assert.equal(new Set(opened.index.manifests.map((m) => m.digest)).size, 1);
      assert.deepEqual(opened.config.config.Cmd, ['/bin/fake']);
      assert.deepEqual(opened.config.config.ExposedPorts, { '8080/tcp': {} });
      assert.equal(opened.config.config.StopSignal, 'SIGQUIT');
      assert.equal(readFileSync(path.join(opened.rootfs, 'bin/fake'), 'utf8'), 'fake 1.0-1\n');
    } finally {
      opened.close();
    }
  });

  it('does not build again while the inputs stay the same, and finds the last build without resolving', async () => {
    const recipe = fakeRecipe();
    const first = await buildImage(recipe, { dataDir });
    const second = await buildImage(recipe, { dataDir });
    assert.equal(recipe.builds, 0);
    assert.equal(first.built, false);
    assert.equal(second.archive, first.archive);
    assert.deepEqual(lastBuild(recipe, dataDir), { ...first, built: false });
  });

  it('is the same bytes when built again from the same inputs', async () => {
    const recipe = fakeRecipe();
    const { archive } = await buildImage(recipe, { dataDir });
    const before = readFileSync(archive);
    rmSync(archive);
    const again = await buildImage(recipe, { dataDir });
    assert.equal(again.built, true);
    assert.deepEqual(readFileSync(again.archive), before);
  });

  it('builds again when an input changes, and drops the archive of the old inputs', async () => {
    const version = { value: '1.0-1' };
    const old = await buildImage(fakeRecipe(version), { dataDir });
    version.value = '1.1-1';
    const recipe = fakeRecipe(version);
    const updated = await buildImage(recipe, { dataDir });
    assert.equal(recipe.builds, 1);
    assert.notEqual(updated.archive, old.archive);
    assert.equal(existsSync(old.archive), false);
    assert.deepEqual(updated.references, ['docker.io/library/fake:latest', 'docker.io/library/fake:1.1']);
    assert.deepEqual(readdirSync(imageCacheDir(dataDir)).filter((f) => f.endsWith('.tar')), [path.basename(updated.archive)]);
  });

  it('forgets the last build when the recipe changes', async () => {
    assert.ok(lastBuild(fakeRecipe(), dataDir));
    assert.equal(lastBuild(fakeRecipe({ value: '1.1-1' }, 2), dataDir), undefined);
  });

  it('keys on the recipe, its version and the inputs, not their order', () => {
    const r = fakeRecipe();
    assert.equal(cacheKey(r, { a: '1', b: '2' }), cacheKey(r, { b: '2', a: '1' }));
    assert.notEqual(cacheKey(r, { a: '1' }), cacheKey(r, { a: '2' }));
    assert.notEqual(cacheKey(r, { a: '1' }), cacheKey(fakeRecipe(undefined, 2), { a: '1' }));
    assert.notEqual(cacheKey(r, { a: '1' }, 'x64'), cacheKey(r, { a: '1' }, 'arm64'));
  });
});

describe('built-in recipes', () => {
  it('are found by name or by any reference to their repository', () => {
    assert.deepEqual(BUILTIN_IMAGES, { busybox: 'docker.io/library/busybox:latest', nginx: 'docker.io/library/nginx:latest' });
    assert.equal(recipeFor('nginx').name, 'nginx');
    assert.equal(recipeFor('nginx:1.22.1').name, 'nginx');
    assert.equal(recipeFor('docker.io/library/busybox:latest').name, 'busybox');
    assert.equal(recipeFor('busybox@sha256:' + 'a'.repeat(64)).name, 'busybox');
    assert.throws(() => recipeFor('redis'), UnknownBuiltinImageError);
    assert.throws(() => recipeFor('quay.io/library/nginx'), /Skiff builds busybox and nginx/);
  });
});
