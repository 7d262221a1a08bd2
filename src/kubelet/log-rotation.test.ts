import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { silentLogger } from '../log.ts';
import { ContainerLogRotator, rotationSuffix } from './log-rotation.ts';
import type { Container, ContainerStatus } from './runtime.ts';

/** A runtime seam whose only container writes to `path`; reopening creates the file anew, as containerd does. */
function fakeRuntime(path: string, opts: { failReopen?: boolean; state?: Container['state'] } = {}) {
  const calls: string[] = [];
  return {
    calls,
    listContainers: async () => [{ id: 'c1', state: opts.state ?? 'CONTAINER_RUNNING' } as Container],
    containerStatus: async () => ({ id: 'c1', logPath: path }) as ContainerStatus,
    reopenContainerLog: async (id: string) => {
      calls.push(`reopen ${id}`);
      if (opts.failReopen) throw new Error('reopen failed');
      await writeFile(path, '', { flag: 'a' });
    },
  };
}

describe('ContainerLogRotator', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const logDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-logrot-'));
    dirs.push(dir);
    return dir;
  };
  const clock = (start: number) => {
    let t = start;
    return () => new Date((t += 1000));
  };

  it('names rotated files as the kubelet does', () => {
    assert.equal(rotationSuffix(new Date(Date.UTC(2026, 10, 7, 8, 1, 2, 345))), '20261107-080102');
  });

  it('leaves a log at or under the size alone, and rotates one over it: renamed, reopened, older ones gzipped', async () => {
    const dir = await logDir();
    const path = join(dir, '0.log');
    const runtime = fakeRuntime(path);
    const rotator = new ContainerLogRotator({ runtime, policy: { maxSizeBytes: 10, maxFiles: 5 }, logger: silentLogger(), now: clock(Date.UTC(2026, 0, 1)) });
    await writeFile(path, '0123456789');
    await rotator.rotateAll();
    assert.deepEqual(await readdir(dir), ['0.log'], 'exactly the size: not rotated');
    await writeFile(path, 'first log, over ten bytes\n');
    await rotator.rotateAll();
    assert.deepEqual((await readdir(dir)).sort(), ['0.log', '0.log.20260101-000001']);
    assert.equal(await readFile(path, 'utf8'), '', 'the runtime writes a new file');
    assert.deepEqual(runtime.calls, ['reopen c1']);
    await writeFile(path, 'second log, over ten bytes\n');
    await rotator.rotateAll();
    assert.deepEqual((await readdir(dir)).sort(), ['0.log', '0.log.20260101-000001.gz', '0.log.20260101-000002']);
    assert.equal(gunzipSync(await readFile(join(dir, '0.log.20260101-000001.gz'))).toString(), 'first log, over ten bytes\n');
  });

  it('keeps at most maxFiles files, the live one included, removing the oldest', async () => {
    const dir = await logDir();
    const path = join(dir, '0.log');
    const rotator = new ContainerLogRotator({ runtime: fakeRuntime(path), policy: { maxSizeBytes: 1, maxFiles: 3 }, logger: silentLogger(), now: clock(Date.UTC(2026, 0, 1)) });
    for (let i = 1; i <= 5; i++) {
      await writeFile(path, `log ${i}\n`);
      await rotator.rotateAll();
    }
    assert.deepEqual((await readdir(dir)).sort(), ['0.log', '0.log.20260101-000004.gz', '0.log.20260101-000005']);
  });

  it('cleans up leftovers of an interrupted rotation, and puts the log back when the runtime cannot reopen it', async () => {
    const dir = await logDir();
    const path = join(dir, '0.log');
    await writeFile(join(dir, '0.log.20250101-000000.gz.tmp'), 'half');
    await writeFile(join(dir, '0.log.20250101-000001'), 'also compressed');
    await writeFile(join(dir, '0.log.20250101-000001.gz'), 'x');
    await writeFile(path, 'over the size\n');
    const failing = new ContainerLogRotator({ runtime: fakeRuntime(path, { failReopen: true }), policy: { maxSizeBytes: 1, maxFiles: 5 }, logger: silentLogger() });
    await failing.rotateAll();
    assert.deepEqual((await readdir(dir)).sort(), ['0.log', '0.log.20250101-000001.gz']);
    assert.equal(await readFile(path, 'utf8'), 'over the size\n', 'the renamed log is put back');
  });

  it('reopens a log that went missing, and skips containers that do not run', async () => {
    const dir = await logDir();
    const path = join(dir, '0.log');
    const runtime = fakeRuntime(path);
    await new ContainerLogRotator({ runtime, logger: silentLogger() }).rotateAll();
    assert.deepEqual(runtime.calls, ['reopen c1']);
    assert.deepEqual(await readdir(dir), ['0.log']);
    const exited = fakeRuntime(join(dir, 'gone.log'), { state: 'CONTAINER_EXITED' });
    await new ContainerLogRotator({ runtime: exited, logger: silentLogger() }).rotateAll();
    assert.deepEqual(exited.calls, []);
  });
});
