import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { aptStatusText, checkPrerequisites, chooseRuntime, installCommand, installPackages, isStaticExecutable, NFTABLES_PROXY_PREREQUISITES, NODE_PREREQUISITES, PackageInstallError, PrerequisitesError, type AptRunner, type PrerequisiteReport } from './prerequisites.ts';

/** A minimal 64-bit little-endian ELF: a header and one program header of type `ptype` (1 PT_LOAD, 3 PT_INTERP). */
function elf(ptype: number): Buffer {
  const b = Buffer.alloc(64 + 56);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // 64-bit
  b[5] = 1; // little-endian
  b.writeBigUInt64LE(64n, 32); // e_phoff
  b.writeUInt16LE(56, 54); // e_phentsize
  b.writeUInt16LE(1, 56); // e_phnum
  b.writeUInt32LE(ptype, 64);
  return b;
}

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A fake filesystem root holding `files` (relative paths); bin/busybox gets a static ELF unless given. */
function fakeRoot(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'skiff-prereq-'));
  roots.push(root);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
  return root;
}

/** Every file NODE_PREREQUISITES looks for, in the places Debian 12 puts them. */
const DEBIAN_FILES: Record<string, string | Buffer> = {
  'usr/bin/containerd': '',
  'usr/bin/containerd-shim-runc-v2': '',
  'usr/bin/ctr': '',
  'usr/sbin/runc': '',
  'usr/lib/cni/bridge': '',
  'usr/lib/cni/host-local': '',
  'usr/lib/cni/loopback': '',
  'usr/lib/cni/portmap': '',
  'bin/busybox': elf(1),
  'usr/sbin/iptables': '',
  'usr/sbin/iptables-restore': '',
  'usr/sbin/iptables-save': '',
  'bin/ip': '',
  'usr/sbin/conntrack': '',
  'etc/debian_version': '12.8\n',
  'usr/bin/apt-get': '',
  'var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4': '',
};

const without = (...names: string[]) => Object.fromEntries(Object.entries(DEBIAN_FILES).filter(([k]) => !names.includes(k)));

const report = (over: Partial<PrerequisiteReport> = {}): PrerequisiteReport => ({ missing: [], missingOwnRuntime: [], debian: true, aptLists: true, ...over });

void describe('prerequisites: detection from the files packages install', () => {
  void it('finds everything on a complete Debian machine', () => {
    assert.deepEqual(checkPrerequisites(fakeRoot(DEBIAN_FILES)), { missing: [], missingOwnRuntime: [], debian: true, aptLists: true });
  });

  void it('names the packages whose files are missing, in install order', () => {
    const root = fakeRoot(without('usr/sbin/conntrack', 'usr/lib/cni/portmap', 'usr/bin/containerd-shim-runc-v2'));
    const found = checkPrerequisites(root);
    assert.deepEqual(found.missing, ['containerd', 'containernetworking-plugins', 'conntrack']);
    assert.deepEqual(found.missingOwnRuntime, ['containerd', 'containernetworking-plugins']);
  });

  void it('finds commands in any of the usual bin and sbin directories', () => {
    const files = without('bin/ip', 'usr/sbin/conntrack');
    assert.deepEqual(checkPrerequisites(fakeRoot({ ...files, 'usr/sbin/ip': '', 'sbin/conntrack': '' })).missing, []);
  });

  void it("takes a dynamically linked busybox for Debian's busybox, not busybox-static", () => {
    assert.deepEqual(checkPrerequisites(fakeRoot({ ...DEBIAN_FILES, 'bin/busybox': elf(3) })).missing, ['busybox-static']);
    assert.deepEqual(checkPrerequisites(fakeRoot({ ...DEBIAN_FILES, 'bin/busybox': '#!/bin/sh\n' })).missing, ['busybox-static']);
    assert.deepEqual(checkPrerequisites(fakeRoot(without('bin/busybox'))).missing, ['busybox-static']);
  });

  void it('tells Debian with apt and package lists from the rest', () => {
    assert.equal(checkPrerequisites(fakeRoot(without('etc/debian_version'))).debian, false);
    assert.equal(checkPrerequisites(fakeRoot(without('usr/bin/apt-get'))).debian, false);
    assert.equal(checkPrerequisites(fakeRoot(without('var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4'))).aptLists, false);
  });

  void it('reads ELF program headers for static executables', () => {
    const root = fakeRoot({ static: elf(1), dynamic: elf(3), short: Buffer.from([0x7f, 0x45]) });
    assert.equal(isStaticExecutable(path.join(root, 'static')), true);
    assert.equal(isStaticExecutable(path.join(root, 'dynamic')), false);
    assert.equal(isStaticExecutable(path.join(root, 'short')), false);
    assert.equal(isStaticExecutable(path.join(root, 'absent')), false);
  });

  void it('lists the seven packages the brief names', () => {
    assert.deepEqual(
      NODE_PREREQUISITES.map((p) => p.name),
      ['containerd', 'runc', 'containernetworking-plugins', 'busybox-static', 'iptables', 'iproute2', 'conntrack'],
    );
  });
});

void describe('prerequisites: real containers, simulated pods, or an error', () => {
  void it('root with everything installed: real containers, nothing to install', () => {
    assert.deepEqual(chooseRuntime({ report: report(), isRoot: true }), { runtime: 'cri', install: [] });
  });

  void it('root on Debian with packages missing: installs them', () => {
    assert.deepEqual(chooseRuntime({ report: report({ missing: ['runc', 'conntrack'], missingOwnRuntime: ['runc'] }), isRoot: true }), { runtime: 'cri', install: ['runc', 'conntrack'] });
    assert.deepEqual(chooseRuntime({ report: report({ missing: ['conntrack'] }), isRoot: true, asked: 'cri' }), { runtime: 'cri', install: ['conntrack'] });
  });

  void it('not root: simulated pods, with what is missing and the command to install it', () => {
    const choice = chooseRuntime({ report: report({ missing: ['containerd', 'conntrack'], missingOwnRuntime: ['containerd'] }), isRoot: false });
    assert.equal(choice.runtime, 'simulated');
    assert.deepEqual(choice.install, []);
    assert.equal(
      choice.note,
      "pods are simulated: real containers need root, and Debian's containerd and conntrack are not installed (sudo apt-get install -y --no-install-recommends containerd conntrack; or run sudo skiff up, which installs them)",
    );
    assert.equal(chooseRuntime({ report: report(), isRoot: false }).note, 'pods are simulated: real containers need root (sudo skiff up)');
  });

  void it('root but no apt: simulated pods, saying what to install', () => {
    const choice = chooseRuntime({ report: report({ missing: ['conntrack'], debian: false }), isRoot: true });
    assert.equal(choice.runtime, 'simulated');
    assert.match(choice.note ?? '', /real containers need conntrack, which is not installed, and without apt-get Skiff cannot install it/);
  });

  void it('--runtime cri without the packages and no way to install them: an error saying what to do', () => {
    assert.throws(() => chooseRuntime({ report: report({ missing: ['conntrack'], debian: false }), isRoot: true, asked: 'cri' }), (err: unknown) => {
      assert.ok(err instanceof PrerequisitesError);
      assert.match(err.message, /^--runtime cri: real containers need conntrack, which is not installed.*Debian's names: conntrack\); or use --runtime simulated$/);
      return true;
    });
    assert.throws(() => chooseRuntime({ report: report(), isRoot: false, asked: 'cri' }), /--runtime cri: real containers need root \(sudo skiff up\)/);
  });

  void it('--runtime simulated: never installs, never notes', () => {
    assert.deepEqual(chooseRuntime({ report: report({ missing: ['containerd'], missingOwnRuntime: ['containerd'] }), isRoot: true, asked: 'simulated' }), { runtime: 'simulated', install: [] });
  });

  void it("another runtime's socket: what only Skiff's containerd needs is not asked for", () => {
    const r = report({ missing: ['containerd', 'busybox-static', 'conntrack'], missingOwnRuntime: ['containerd', 'busybox-static'], debian: false });
    assert.throws(() => chooseRuntime({ report: r, isRoot: true, asked: 'cri', externalRuntime: true }), /need conntrack, which is not installed/);
    assert.deepEqual(chooseRuntime({ report: report({ missing: ['containerd'], missingOwnRuntime: ['containerd'], debian: false }), isRoot: true, externalRuntime: true }), { runtime: 'cri', install: [] });
  });

  void it('the install command a user can paste', () => {
    assert.equal(installCommand(['conntrack', 'runc']), 'sudo apt-get install -y --no-install-recommends conntrack runc');
  });
});

void describe('prerequisites: apt-get', () => {
  /** An apt-get that answers each call from `script` in turn and records the calls. */
  function fakeApt(script: Array<{ code: number; output?: string; status?: string[] }>): { run: AptRunner; calls: string[][] } {
    const calls: string[][] = [];
    const run: AptRunner = async (args, onStatus) => {
      calls.push(args);
      const next = script.shift() ?? { code: 0 };
      for (const line of next.status ?? []) onStatus(line);
      return { code: next.code, output: next.output ?? '' };
    };
    return { run, calls };
  }

  void it('installs without recommends and reports apt status lines as progress', async () => {
    const apt = fakeApt([{ code: 0, status: ['dlstatus:1:20:Retrieving file 1 of 1', 'pmstatus:conntrack:50:Installing conntrack (amd64)', 'garbage'] }]);
    const seen: string[] = [];
    await installPackages(['conntrack'], { update: false, run: apt.run, onStatus: (t) => seen.push(t) });
    assert.deepEqual(apt.calls, [['install', '-y', '-q', '--no-install-recommends', 'conntrack']]);
    assert.deepEqual(seen, ['20% Retrieving file 1 of 1', '50% Installing conntrack (amd64)']);
  });

  void it('updates the lists first when asked, and once when apt knows no candidate', async () => {
    const first = fakeApt([]);
    await installPackages(['runc'], { update: true, run: first.run });
    assert.deepEqual(first.calls.map((c) => c[0]), ['update', 'install']);
    const stale = fakeApt([{ code: 100, output: 'E: Unable to locate package conntrack\n' }, { code: 0 }, { code: 0 }]);
    await installPackages(['conntrack'], { update: false, run: stale.run });
    assert.deepEqual(stale.calls.map((c) => c[0]), ['install', 'update', 'install']);
  });

  void it("fails with apt's last lines", async () => {
    const output = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') + '\nE: Sub-process /usr/bin/dpkg returned an error code (1)\n';
    const apt = fakeApt([{ code: 100, output }]);
    await assert.rejects(installPackages(['conntrack'], { update: false, run: apt.run }), (err: unknown) => {
      assert.ok(err instanceof PackageInstallError);
      assert.match(err.message, /^apt-get install conntrack failed \(exit code 100\); install them yourself \(sudo apt-get install -y --no-install-recommends conntrack\) or use --runtime simulated\. apt said:\n/);
      assert.match(err.message, /line 29\nE: Sub-process \/usr\/bin\/dpkg returned an error code \(1\)$/);
      assert.doesNotMatch(err.message, /line 5\n/);
      return true;
    });
    assert.equal(apt.calls.length, 1, 'no update: the error was not about a missing candidate');
  });

  void it('a failed update is an error too', async () => {
    const apt = fakeApt([{ code: 100, output: 'E: Failed to fetch http://deb.debian.org/…\n' }]);
    await assert.rejects(installPackages([], { update: true, run: apt.run }), /^PackageInstallError: apt-get update failed \(exit code 100\):\nE: Failed to fetch/);
  });

  void it('reads pmstatus and dlstatus lines only', () => {
    assert.equal(aptStatusText('pmstatus:runc:12.5:Preparing runc'), '13% Preparing runc');
    assert.equal(aptStatusText('pmerror:runc:50:broken'), undefined);
  });
});

describe('what the nftables proxy mode adds', () => {
  it('wants nft, and any one C compiler (tcc when there is none)', () => {
    const missing = (files: Record<string, string>) => checkPrerequisites(fakeRoot(files), NFTABLES_PROXY_PREREQUISITES).missing;
    assert.deepEqual(missing({}), ['nftables', 'tcc']);
    assert.deepEqual(missing({ 'usr/sbin/nft': '', 'usr/bin/gcc': '' }), []);
    assert.deepEqual(missing({ 'usr/sbin/nft': '', 'usr/bin/tcc': '' }), []);
    assert.deepEqual(missing({ 'usr/bin/cc': '' }), ['nftables']);
  });
});
