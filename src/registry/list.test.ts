import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Image } from '../kubelet/cri/types.ts';
import { humanSize, imageTable } from './list.ts';

const image = (id: string, repoTags: string[], size: number, repoDigests: string[] = []): Image => ({ id, repoTags, repoDigests, size: BigInt(size), username: '', pinned: false });

describe('skiff image ls table', () => {
  it('sizes in decimal units with three significant digits, as crictl', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(2_137_600), '2.14MB');
    assert.equal(humanSize(11_971_072), '12MB');
    assert.equal(humanSize(742_000), '742kB');
    assert.equal(humanSize(1_500_000_000), '1.5GB');
  });

  it('prints a row per tag, ids cut to 13 digits, untagged images as <none>', () => {
    const id = `sha256:${'0123456789abcdef'.repeat(4)}`;
    const table = imageTable([
      image(id, ['docker.io/library/nginx:latest', 'docker.io/library/nginx:1.22.1'], 11_971_072),
      image(`sha256:${'f'.repeat(64)}`, [], 1000, [`docker.io/library/old@sha256:${'e'.repeat(64)}`]),
      image(`sha256:${'a'.repeat(64)}`, ['localhost:5000/app:2'], 512),
    ]);
    assert.equal(
      table,
      [
        'IMAGE                     TAG                 IMAGE ID            SIZE',
        'docker.io/library/nginx   1.22.1              0123456789abc       12MB',
        'docker.io/library/nginx   latest              0123456789abc       12MB',
        'docker.io/library/old     <none>              fffffffffffff       1kB',
        'localhost:5000/app        2                   aaaaaaaaaaaaa       512B',
        '',
      ].join('\n'),
    );
  });
});
