import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidReferenceError, normalizeReference, parseReference } from './reference.ts';

describe('image references', () => {
  it('normalizes as the CRI plugin does', () => {
    assert.equal(normalizeReference('nginx'), 'docker.io/library/nginx:latest');
    assert.equal(normalizeReference('nginx:1.22.1'), 'docker.io/library/nginx:1.22.1');
    assert.equal(normalizeReference('bitnami/redis:7'), 'docker.io/bitnami/redis:7');
    assert.equal(normalizeReference('registry.k8s.io/pause:3.10.1'), 'registry.k8s.io/pause:3.10.1');
    assert.equal(normalizeReference('localhost:5000/app'), 'localhost:5000/app:latest');
    assert.equal(normalizeReference('localhost/app:1'), 'localhost/app:1');
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.equal(normalizeReference(`nginx@${digest}`), `docker.io/library/nginx@${digest}`);
    assert.deepEqual(parseReference('docker.io/library/busybox:1.35.0'), { repository: 'docker.io/library/busybox', tag: '1.35.0' });
  });

  it('rejects what is not a reference', () => {
    for (const bad of ['', 'UPPER/case', 'nginx:bad tag', 'a//b', `nginx@sha256:zz`]) {
      assert.throws(() => parseReference(bad), InvalidReferenceError, bad);
    }
  });
});
