// Skiff's registry mirror in front of Skiff's own containerd: with hosts.toml pointing every registry at the mirror,
// CRI PullImage of an image imported earlier succeeds without internet (imagePullPolicy Always for :latest), and a
// pull of anything else fails as it would without the mirror.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContainerdSupervisor, findContainerd } from '../../src/kubelet/containerd.ts';
import { DEFAULT_SANDBOX_IMAGE } from '../../src/kubelet/containerd-config.ts';
import { importImageArchive, ociImageArchive, pauseImageArchive, tarArchive, type ArchiveEntry } from '../../src/kubelet/containerd-images.ts';
import { CriClient } from '../../src/kubelet/cri/client.ts';
import { isCriError } from '../../src/kubelet/cri/errors.ts';
import { createLogger } from '../../src/log.ts';
import { removeMirrorHosts, writeMirrorHosts } from '../../src/registry/hosts.ts';
import { ContainerdImageSource } from '../../src/registry/mirror-containerd.ts';
import { startRegistryMirror, type RunningRegistryMirror } from '../../src/registry/mirror.ts';

const TINY = 'docker.io/library/tiny:latest';
const TINY_LAYER: ArchiveEntry[] = [
  { path: 'hello.txt', type: 'file', data: Buffer.from('hello from the mirror\n') },
  { path: 'etc', type: 'dir' },
];
const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

interface Request {
  method: string;
  url: string;
  status: number;
}

describe('registry mirror serving Skiff containerd’s images', { skip: process.getuid?.() !== 0 && 'containerd needs root' }, () => {
  let dataDir: string;
  let supervisor: ContainerdSupervisor;
  let client: CriClient;
  let source: ContainerdImageSource;
  let mirror: RunningRegistryMirror;
  const stop = new AbortController();
  const requests: Request[] = [];
  const timings: string[] = [];

  /** What containerd asked the mirror since `from`. */
  const seen = (from: number) => requests.slice(from).map((r) => `${r.method} ${r.url} ${r.status}`);

  before(async () => {
    findContainerd();
    dataDir = mkdtempSync('/tmp/sk-');
    // debug: containerd logs every registry host it resolves against, which shows whether it went past the mirror.
    supervisor = new ContainerdSupervisor({ dataDir, stopGraceMs: 5000, logLevel: 'debug' });
    await supervisor.start(stop.signal);
    client = new CriClient({ endpoint: supervisor.endpoint, timeoutMs: 10_000, pullTimeoutMs: 60_000 });
    await importImageArchive(supervisor.paths.socket, ociImageArchive({ name: TINY, cmd: ['/hello'], layer: TINY_LAYER }));
    await importImageArchive(supervisor.paths.socket, pauseImageArchive(DEFAULT_SANDBOX_IMAGE));
    source = new ContainerdImageSource({ endpoint: supervisor.endpoint, root: supervisor.paths.root });
    const logger = createLogger('mirror', {
      level: 'debug',
      format: 'json',
      write: (line) => {
        const record = JSON.parse(line) as Partial<Request> & { msg: string };
        if (record.msg === 'request') requests.push({ method: record.method!, url: record.url!, status: record.status! });
      },
    });
    mirror = await startRegistryMirror({ host: '127.0.0.1', port: 0, source, logger }, stop.signal);
    writeMirrorHosts(supervisor.paths.registryConfigDir, mirror.url);
  });

  after(async () => {
    if (timings.length) console.log(timings.join('\n'));
    client?.close();
    source?.close();
    stop.abort();
    await mirror?.closed;
    await supervisor?.stopped();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves an imported image’s manifest, config and layer from containerd’s content store', async () => {
    const base = `${mirror.url}/v2/library/tiny`;
    const head = await fetch(`${base}/manifests/latest?ns=docker.io`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/vnd.oci.image.manifest.v1+json');
    const digest = head.headers.get('docker-content-digest');
    assert.match(digest ?? '', /^sha256:[a-f0-9]{64}$/);

    const res = await fetch(`${base}/manifests/latest?ns=docker.io`);
    const manifest = Buffer.from(await res.arrayBuffer());
    assert.equal(sha256(manifest), digest);
    assert.equal(res.headers.get('content-length'), String(manifest.length));
    const parsed = JSON.parse(manifest.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
    // The image id containerd's CRI plugin reports is the config's digest.
    const status = await client.imageStatus({ image: TINY });
    assert.equal(parsed.config.digest, status.image?.id);

    const layer = Buffer.from(await (await fetch(`${base}/blobs/${parsed.layers[0]!.digest}?ns=docker.io`)).arrayBuffer());
    assert.deepEqual(layer, tarArchive(TINY_LAYER));
    const byDigest = await fetch(`${base}/manifests/${digest}?ns=docker.io`, { method: 'HEAD' });
    assert.equal(byDigest.status, 200);

    const t0 = performance.now();
    const n = 50;
    for (let i = 0; i < n; i++) await fetch(`${base}/manifests/latest?ns=docker.io`, { method: 'HEAD' });
    timings.push(`manifest HEAD through the mirror (containerd Images.Get + stat): ${((performance.now() - t0) / n).toFixed(2)} ms each`);
  });

  it('lets CRI PullImage of an imported image succeed offline, asking only the mirror', async () => {
    const id = (await client.imageStatus({ image: TINY })).image?.id;
    assert.ok(id);
    const from = requests.length;
    const logFrom = readFileSync(supervisor.paths.log, 'utf8').length;
    const t0 = performance.now();
    assert.equal(await client.pullImage({ image: TINY }), id);
    timings.push(`PullImage ${TINY} (present, through the mirror): ${(performance.now() - t0).toFixed(0)} ms`);
    // What kubectl create deployment --image=tiny asks for: the short name, normalized by the CRI plugin.
    assert.equal(await client.pullImage({ image: 'tiny' }), id);
    assert.deepEqual(seen(from), [
      'HEAD /v2/library/tiny/manifests/latest?ns=docker.io 200',
      'HEAD /v2/library/tiny/manifests/latest?ns=docker.io 200',
    ]);
    // The content is already in containerd's store: nothing was fetched, and no real registry was asked.
    const containerdLog = readFileSync(supervisor.paths.log, 'utf8').slice(logFrom);
    assert.doesNotMatch(containerdLog, /registry-1\.docker\.io/);
    assert.ok(containerdLog.includes(`msg=resolving host="${new URL(mirror.url).host}"`), containerdLog.slice(0, 2000));
  });

  it('pulls by digest, and images of other registries (containerd’s _default hosts.toml)', async () => {
    const tiny = await client.imageStatus({ image: TINY });
    const head = await fetch(`${mirror.url}/v2/library/tiny/manifests/latest?ns=docker.io`, { method: 'HEAD' });
    const manifestDigest = head.headers.get('docker-content-digest')!;
    const from = requests.length;
    assert.equal(await client.pullImage({ image: `docker.io/library/tiny@${manifestDigest}` }), tiny.image?.id);
    const pause = await client.imageStatus({ image: DEFAULT_SANDBOX_IMAGE });
    assert.equal(await client.pullImage({ image: DEFAULT_SANDBOX_IMAGE }), pause.image?.id);
    assert.deepEqual(seen(from), [
      `HEAD /v2/library/tiny/manifests/${manifestDigest}?ns=docker.io 200`,
      'HEAD /v2/pause/manifests/3.10.1?ns=registry.k8s.io 200',
    ]);
  });

  it('answers 404 for an image containerd does not hold, and the pull fails as it would without the mirror', async () => {
    const from = requests.length;
    const t0 = performance.now();
    let message = '';
    await assert.rejects(client.pullImage({ image: 'docker.io/library/absent:latest' }), (err: unknown) => {
      message = (err as Error).message;
      return isCriError(err);
    });
    timings.push(`PullImage docker.io/library/absent:latest failed after ${(performance.now() - t0).toFixed(0)} ms: ${message}`);
    assert.deepEqual(seen(from), ['HEAD /v2/library/absent/manifests/latest?ns=docker.io 404']);
    assert.match(message, /failed to resolve reference "docker\.io\/library\/absent:latest"/);
    // The error is the real registry's (offline: its name does not resolve), not the mirror's 404.
    assert.ok(!message.includes(new URL(mirror.url).host), message);
  });

  it('stops serving an image once it is removed from containerd', async () => {
    const from = requests.length;
    await client.removeImage({ image: TINY });
    const res = await fetch(`${mirror.url}/v2/library/tiny/manifests/latest?ns=docker.io`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), {
      errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: { name: 'docker.io/library/tiny' } }],
    });
    assert.deepEqual(seen(from), ['GET /v2/library/tiny/manifests/latest?ns=docker.io 404']);
  });

  it('removes the hosts.toml it wrote', () => {
    const file = path.join(supervisor.paths.registryConfigDir, '_default', 'hosts.toml');
    assert.ok(existsSync(file));
    removeMirrorHosts(supervisor.paths.registryConfigDir);
    assert.equal(existsSync(file), false);
  });
});
