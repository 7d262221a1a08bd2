// Images without internet: busybox and nginx built from Debian packages, imported into Skiff's own containerd in a
// temporary data dir, and run through CRI; `skiff image import` and `skiff image ls` against the same containerd.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { runCli } from '../../src/cli/cli.ts';
import { DEFAULT_SANDBOX_IMAGE } from '../../src/kubelet/containerd-config.ts';
import { importImageArchive, ociImageArchive, pauseImageArchive, tarArchive } from '../../src/kubelet/containerd-images.ts';
import { ContainerdSupervisor, findContainerd } from '../../src/kubelet/containerd.ts';
import { CriRuntime } from '../../src/kubelet/runtime-cri.ts';
import type { ContainerStatus, PodSandboxConfig } from '../../src/kubelet/runtime.ts';
import { ensureBuiltinImages } from '../../src/registry/ensure.ts';

const notRoot = process.getuid?.() !== 0;
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/** A `docker save` archive (manifest.json, <config>.json, <layer>/layer.tar) of a one-file image. */
function dockerArchive(repoTag: string): Buffer {
  const hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  const layer = tarArchive([{ path: 'hello.txt', type: 'file', data: Buffer.from('hello\n') }]);
  const config = Buffer.from(
    JSON.stringify({
      architecture: GOARCH[process.arch] ?? process.arch,
      os: 'linux',
      config: { Cmd: ['/hello'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${hex(layer)}`] },
    }),
  );
  const manifest = [{ Config: `${hex(config)}.json`, RepoTags: [repoTag], Layers: [`${hex(layer)}/layer.tar`] }];
  return tarArchive([
    { path: hex(layer), type: 'dir' },
    { path: `${hex(layer)}/layer.tar`, type: 'file', data: layer },
    { path: `${hex(config)}.json`, type: 'file', data: config },
    { path: 'manifest.json', type: 'file', data: Buffer.from(JSON.stringify(manifest)) },
  ]);
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

describe('built-in images in Skiff-supervised containerd', { skip: notRoot && 'containerd needs root' }, () => {
  let dataDir: string;
  let supervisor: ContainerdSupervisor;
  let runtime: CriRuntime;
  const stop = new AbortController();
  let sandboxN = 0;

  before(async () => {
    findContainerd();
    dataDir = mkdtempSync('/tmp/sk-');
    supervisor = new ContainerdSupervisor({ dataDir, stopGraceMs: 5000 });
    // A network namespace per sandbox without Skiff's CNI setup: go-cni brings lo up itself, and the static IPAM
    // plugin, run as the network's only real step, reports an address for eth0 (containerd insists on one) without
    // creating any interface, so nothing appears on the host.
    mkdirSync(supervisor.paths.cniConfDir, { recursive: true });
    writeFileSync(
      path.join(supervisor.paths.cniConfDir, '10-test.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'skiff-images-test',
        plugins: [{ type: 'loopback' }, { type: 'static', ipam: { type: 'static', addresses: [{ address: '10.255.255.2/32' }] } }],
      }),
    );
    await supervisor.start(stop.signal);
    await importImageArchive(supervisor.paths.socket, pauseImageArchive(DEFAULT_SANDBOX_IMAGE));
    runtime = new CriRuntime({ endpoint: supervisor.endpoint });
  });

  after(async () => {
    if (runtime) {
      for (const s of await runtime.listPodSandbox().catch(() => [])) {
        await runtime.stopPodSandbox(s.id).catch(() => {});
        await runtime.removePodSandbox(s.id).catch(() => {});
      }
      await runtime.close();
    }
    stop.abort();
    await supervisor?.stopped();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function sandbox(name: string): Promise<{ id: string; config: PodSandboxConfig; logDirectory: string }> {
    const uid = `u${++sandboxN}`;
    const logDirectory = path.join(dataDir, 'pods', `default_${name}_${uid}`);
    mkdirSync(logDirectory, { recursive: true });
    const config: PodSandboxConfig = { metadata: { name, uid, namespace: 'default', attempt: 0 }, logDirectory };
    return { id: await runtime.runPodSandbox(config), config, logDirectory };
  }

  async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, tries = 200): Promise<T> {
    for (let i = 0; i < tries; i++) {
      const value = await fn();
      if (value !== undefined) return value;
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('ensureBuiltinImages builds busybox and nginx and imports them', { timeout: 300_000 }, async (t) => {
    const started = Date.now();
    const result = await ensureBuiltinImages({ dataDir, endpoint: supervisor.paths.socket });
    t.diagnostic(`cold build and import: ${Date.now() - started} ms`);
    assert.deepEqual(
      result.map((r) => [r.name, r.action, r.built]),
      [
        ['busybox', 'imported', true],
        ['nginx', 'imported', true],
      ],
    );
    const [busybox, nginx] = result;
    assert.equal(busybox!.references[0], 'docker.io/library/busybox:latest');
    assert.match(busybox!.references[1]!, /^docker\.io\/library\/busybox:\d+\.\d+\.\d+$/);
    assert.equal(nginx!.references[0], 'docker.io/library/nginx:latest');
    assert.match(nginx!.references[1]!, /^docker\.io\/library\/nginx:\d+\.\d+\.\d+$/);
    for (const ref of [...busybox!.references, ...nginx!.references]) {
      const image = await runtime.imageStatus({ image: ref });
      assert.ok(image?.repoTags.includes(ref), `${ref} is not in containerd`);
    }
    // Both tags name one image.
    assert.equal((await runtime.imageStatus({ image: 'nginx' }))?.id, (await runtime.imageStatus({ image: nginx!.references[1]! }))?.id);
  });

  it('a second ensureBuiltinImages imports nothing', async (t) => {
    const started = performance.now();
    const result = await ensureBuiltinImages({ dataDir, endpoint: `unix://${supervisor.paths.socket}` });
    t.diagnostic(`warm ensureBuiltinImages: ${(performance.now() - started).toFixed(1)} ms`);
    assert.deepEqual(
      result.map((r) => [r.name, r.action, r.built]),
      [
        ['busybox', 'present', false],
        ['nginx', 'present', false],
      ],
    );
    assert.equal(result[1]!.references.length, 2);
  });

  it('a busybox container runs sh and exits with its exit code', { timeout: 60_000 }, async () => {
    const sb = await sandbox('bb');
    const id = await runtime.createContainer(
      sb.id,
      { metadata: { name: 'main', attempt: 0 }, image: { image: 'busybox' }, command: ['sh', '-c', 'echo hi; exit 3'], logPath: 'main/0.log' },
      sb.config,
    );
    await runtime.startContainer(id);
    const status = await waitFor('the busybox container to exit', async () => {
      const s = await runtime.containerStatus(id);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    });
    assert.equal(status.exitCode, 3);
    assert.match(readFileSync(path.join(sb.logDirectory, 'main', '0.log'), 'utf8'), /^\S+ stdout F hi$/m);
  });

  it('an nginx container serves the welcome page and logs the request to stdout', { timeout: 60_000 }, async () => {
    const sb = await sandbox('web');
    // No command: the image's own (nginx -g 'daemon off;').
    const id = await runtime.createContainer(sb.id, { metadata: { name: 'nginx', attempt: 0 }, image: { image: 'docker.io/library/nginx:latest' }, logPath: 'nginx/0.log' }, sb.config);
    await runtime.startContainer(id);
    const page = await waitFor('nginx to answer', async () => {
      const status: ContainerStatus = await runtime.containerStatus(id);
      assert.equal(status.state, 'CONTAINER_RUNNING', `nginx is ${status.state}: ${status.message}`);
      const r = await runtime.execSync(id, ['wget', '-qO-', 'http://127.0.0.1/'], 10);
      return r.exitCode === 0 ? Buffer.from(r.stdout).toString() : undefined;
    });
    assert.match(page, /<title>Welcome to nginx!<\/title>/);
    const log = path.join(sb.logDirectory, 'nginx', '0.log');
    const access = await waitFor('the access log line', async () => {
      const line = readFileSync(log, 'utf8')
        .split('\n')
        .find((l) => l.includes('"GET / HTTP/1.1" 200'));
      return line;
    });
    assert.match(access, /^\S+ stdout F 127\.0\.0\.1 - - \[/);
    // The error log goes to stderr (nginx notes its start there).
    assert.match(readFileSync(log, 'utf8'), /^\S+ stderr F .*\[notice\] \d+#\d+: start worker processes?$/m);
    // Workers run as the image's nginx user.
    const ps = await runtime.execSync(id, ['ps', '-o', 'user,args'], 10);
    assert.match(Buffer.from(ps.stdout).toString(), /^\s*nginx\s+nginx: worker process/m);
  });

  it('skiff image import takes docker save tars (also gzipped) and OCI archives; skiff image ls lists them', { timeout: 60_000 }, async () => {
    const work = mkdtempSync(path.join(dataDir, 'archives-'));
    const docker = path.join(work, 'docker.tar');
    const oci = path.join(work, 'oci.tar');
    writeFileSync(docker, dockerArchive('skiff-test/from-docker:1'));
    writeFileSync(oci, ociImageArchive({ name: 'skiff-test/from-oci:2', layer: [{ path: 'hello.txt', type: 'file', data: Buffer.from('hi\n') }] }));
    const gzipped = path.join(work, 'saved.tar.gz');
    writeFileSync(gzipped, gzipSync(dockerArchive('skiff-test/from-gzip:3')));
    const imported = await cli('image', 'import', docker, oci, gzipped, '--data-dir', dataDir);
    assert.equal(imported.code, 0, imported.stderr);
    // Normalized as the CRI plugin looks images up.
    assert.deepEqual(imported.stdout.split('\n').filter(Boolean), ['docker.io/skiff-test/from-docker:1', 'docker.io/skiff-test/from-oci:2', 'docker.io/skiff-test/from-gzip:3']);
    assert.ok(await runtime.imageStatus({ image: 'skiff-test/from-oci:2' }));

    const ls = await cli('image', 'ls', '--container-runtime-endpoint', supervisor.endpoint);
    assert.equal(ls.code, 0, ls.stderr);
    const rows = ls.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/));
    assert.deepEqual(rows[0], ['IMAGE', 'TAG', 'IMAGE ID', 'SIZE']);
    for (const [repo, tag] of [
      ['docker.io/skiff-test/from-docker', '1'],
      ['docker.io/skiff-test/from-oci', '2'],
      ['docker.io/skiff-test/from-gzip', '3'],
      ['docker.io/library/nginx', 'latest'],
      ['docker.io/library/busybox', 'latest'],
    ]) {
      const row = rows.find((r) => r[0] === repo && r[1] === tag);
      assert.ok(row, `${repo}:${tag} missing from\n${ls.stdout}`);
      assert.match(row[2]!, /^[0-9a-f]{13}$/);
      assert.match(row[3]!, /^\d+(\.\d+)?(B|kB|MB)$/);
    }

    const notAnImage = path.join(work, 'notes.txt');
    writeFileSync(notAnImage, 'not an image\n');
    const bad = await cli('image', 'import', notAnImage, '--data-dir', dataDir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /notes\.txt is not a tar archive/);
  });
});
