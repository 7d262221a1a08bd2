import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { debFileName, fetchDebs, installedVersions, MissingImageInputError, parseAptPolicy, parseDepends, upstreamVersion } from './debian.ts';

describe('Debian package helpers', () => {
  it('reads candidates from apt-cache policy, skipping packages without one', () => {
    const text = `nginx:
  Installed: (none)
  Candidate: 1.22.1-9+deb12u11
  Version table:
     1.22.1-9+deb12u11 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
nginx-common:
  Installed: 1.22.1-9
  Candidate: 1.22.1-9+deb12u11
gone:
  Installed: (none)
  Candidate: (none)
`;
    assert.deepEqual(
      [...parseAptPolicy(text)],
      [
        ['nginx', '1.22.1-9+deb12u11'],
        ['nginx-common', '1.22.1-9+deb12u11'],
      ],
    );
  });

  it('takes package names out of a Depends field', () => {
    assert.deepEqual(
      parseDepends('libc6 (>= 2.34), libcrypt1 (>= 1:4.1.0), zlib1g (>= 1:1.1.4), iproute2, nginx-common (<< 1.22.1.1~), nginx-common (>= 1.22.1), libfoo:any | libbar'),
      ['libc6', 'libcrypt1', 'zlib1g', 'iproute2', 'nginx-common', 'libfoo'],
    );
  });

  it('cuts the epoch and the Debian revision off a version', () => {
    assert.equal(upstreamVersion('1:1.35.0-4+deb12u1+b1'), '1.35.0');
    assert.equal(upstreamVersion('1.22.1-9+deb12u11'), '1.22.1');
    assert.equal(upstreamVersion('2.0'), '2.0');
    assert.equal(upstreamVersion('1:2.1-rc1-3'), '2.1-rc1');
    assert.equal(debFileName('busybox-static', '1:1.35.0-4', 'amd64'), 'busybox-static_1%3a1.35.0-4_amd64.deb');
  });

  it('reads installed versions from dpkg, leaving out packages that are not installed', async () => {
    const versions = await installedVersions(['dpkg', 'skiff-no-such-package']);
    assert.match(versions.get('dpkg') ?? '', /^\d/);
    assert.equal(versions.has('skiff-no-such-package'), false);
  });

  it('offline, uses a cached .deb of a package apt does not know, and says what to do about one it lacks', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'skiff-debs-'));
    try {
      // A real (tiny) package, built with dpkg-deb.
      const pkg = path.join(dir, 'pkg');
      mkdirSync(path.join(pkg, 'DEBIAN'), { recursive: true });
      writeFileSync(path.join(pkg, 'DEBIAN/control'), 'Package: skiff-test-cached\nVersion: 2:3.4-5\nArchitecture: all\nMaintainer: skiff\nDescription: test\n');
      const debDir = path.join(dir, 'debs');
      mkdirSync(debDir);
      const deb = path.join(debDir, debFileName('skiff-test-cached', '2:3.4-5', 'all'));
      execFileSync('dpkg-deb', ['--root-owner-group', '-b', pkg, deb], { stdio: 'ignore' });

      const [cached] = await fetchDebs(['skiff-test-cached'], debDir);
      assert.deepEqual(cached, { name: 'skiff-test-cached', version: '2:3.4-5', deb });

      await assert.rejects(
        fetchDebs(['skiff-test-cached', 'skiff-test-missing'], debDir),
        (err: unknown) => err instanceof MissingImageInputError && /skiff-test-missing/.test(err.message) && /apt-get update/.test(err.message) && !/skiff-test-cached/.test(err.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
