import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_MIRRORED_REGISTRIES, MirrorHostsError, mirrorHostsToml, removeMirrorHosts, writeMirrorHosts } from './hosts.ts';

describe('mirrorHostsToml', () => {
  it('lists the mirror for pull and resolve, then docker.io’s real server', () => {
    assert.equal(
      mirrorHostsToml('docker.io', 'http://127.0.0.1:40123/'),
      [
        "# Written by Skiff; rewritten when the registry mirror moves.",
        "# docker.io: Skiff's registry mirror first, then the registry itself.",
        'server = "https://registry-1.docker.io"',
        '',
        '[host."http://127.0.0.1:40123"]',
        '  capabilities = ["pull", "resolve"]',
        '',
      ].join('\n'),
    );
    assert.match(mirrorHostsToml('quay.io', 'http://127.0.0.1:1'), /^server = "https:\/\/quay\.io"$/m);
    assert.match(mirrorHostsToml('localhost:5000', 'http://127.0.0.1:1'), /^server = "https:\/\/localhost:5000"$/m);
  });

  it('leaves the server out of _default, so containerd keeps each registry’s own', () => {
    const toml = mirrorHostsToml('_default', 'http://127.0.0.1:40123');
    assert.doesNotMatch(toml, /server/);
    assert.match(toml, /^\[host\."http:\/\/127\.0\.0\.1:40123"\]\n {2}capabilities = \["pull", "resolve"\]$/m);
  });

  it('rejects what is not a registry host or a URL', () => {
    assert.throws(() => mirrorHostsToml('../etc', 'http://127.0.0.1:1'), MirrorHostsError);
    assert.throws(() => mirrorHostsToml('docker.io', 'not a url'), MirrorHostsError);
    assert.throws(() => mirrorHostsToml('docker.io', 'ftp://127.0.0.1:1'), MirrorHostsError);
  });
});

describe('writeMirrorHosts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-hosts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes _default by default, only when the content changes, and rewrites it when the port changes', () => {
    assert.deepEqual(DEFAULT_MIRRORED_REGISTRIES, ['_default']);
    const file = path.join(dir, '_default', 'hosts.toml');
    assert.deepEqual(writeMirrorHosts(dir, 'http://127.0.0.1:1000'), [file]);
    assert.match(readFileSync(file, 'utf8'), /\[host\."http:\/\/127\.0\.0\.1:1000"\]/);
    assert.deepEqual(writeMirrorHosts(dir, 'http://127.0.0.1:1000'), []);
    assert.deepEqual(writeMirrorHosts(dir, 'http://127.0.0.1:2000'), [file]);
    assert.match(readFileSync(file, 'utf8'), /\[host\."http:\/\/127\.0\.0\.1:2000"\]/);
    assert.deepEqual(readdirSync(path.dirname(file)), ['hosts.toml']);
  });

  it('writes one directory per named registry', () => {
    const written = writeMirrorHosts(dir, 'http://127.0.0.1:3000', ['docker.io', 'registry.k8s.io']);
    assert.deepEqual(written, [path.join(dir, 'docker.io', 'hosts.toml'), path.join(dir, 'registry.k8s.io', 'hosts.toml')]);
    assert.match(readFileSync(written[1]!, 'utf8'), /^server = "https:\/\/registry\.k8s\.io"$/m);
  });

  it('removes only the files Skiff wrote', () => {
    mkdirSync(path.join(dir, 'ghcr.io'));
    writeFileSync(path.join(dir, 'ghcr.io', 'hosts.toml'), 'server = "https://ghcr.io"\n');
    removeMirrorHosts(dir, ['_default', 'docker.io', 'ghcr.io']);
    assert.equal(existsSync(path.join(dir, '_default')), false);
    assert.equal(existsSync(path.join(dir, 'docker.io')), false);
    assert.equal(existsSync(path.join(dir, 'ghcr.io', 'hosts.toml')), true);
    assert.equal(existsSync(path.join(dir, 'registry.k8s.io', 'hosts.toml')), true);
  });
});
