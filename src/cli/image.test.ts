import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './cli.ts';
import { UsageError } from './command.ts';
import { parseImageFlags } from './image.ts';

const root = { isRoot: true, homeDir: '/root', cwd: '/work' };

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

describe('skiff image flags', () => {
  it("defaults to the data dir skiff up uses, and its containerd's socket", () => {
    assert.deepEqual(parseImageFlags(['ls'], root), {
      subcommand: 'ls',
      args: [],
      dataDir: '/var/lib/skiff',
      endpoint: 'unix:///var/lib/skiff/containerd/containerd.sock',
      endpointGiven: false,
      noImport: false,
    });
    const user = parseImageFlags(['import', 'a.tar', 'b.tar'], { isRoot: false, homeDir: '/home/u', cwd: '/home/u' });
    assert.equal(user.dataDir, '/home/u/.skiff');
    assert.deepEqual(user.args, ['a.tar', 'b.tar']);
    assert.equal(parseImageFlags(['ls', '-d', 'data'], root).endpoint, 'unix:///work/data/containerd/containerd.sock');
  });

  it('takes another containerd as a unix:// URL or a path', () => {
    const flags = parseImageFlags(['build', 'nginx', '--container-runtime-endpoint', '/run/containerd/containerd.sock', '--no-import'], root);
    assert.equal(flags.endpoint, 'unix:///run/containerd/containerd.sock');
    assert.equal(flags.endpointGiven, true);
    assert.equal(flags.noImport, true);
    assert.equal(parseImageFlags(['ls', '--container-runtime-endpoint=unix:///x.sock'], root).endpoint, 'unix:///x.sock');
  });

  it('rejects bad input with what is wrong', () => {
    const cases: [string[], RegExp][] = [
      [[], /missing subcommand: import, ls or build/],
      [['pull', 'nginx'], /unknown subcommand "pull"/],
      [['import'], /import needs at least one FILE/],
      [['ls', 'extra'], /unexpected argument extra/],
      [['ls', '--no-import'], /--no-import goes with build only/],
      [['ls', '--bogus'], /unknown flag: --bogus/],
      [['ls', '--container-runtime-endpoint', 'tcp://1.2.3.4:1'], /want unix:\/\/\/path/],
    ];
    for (const [args, message] of cases) assert.throws(() => parseImageFlags(args, root), (e: unknown) => e instanceof UsageError && message.test(e.message), args.join(' '));
  });
});

describe('skiff image', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'skiff-cli-image-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is listed in skiff --help and has its own help', async () => {
    assert.match((await cli('--help')).stdout, /^\s+image\s+Import, list and build/m);
    const help = await cli('image', 'import', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /skiff image import FILE\.\.\./);
  });

  it('reports a missing file before asking containerd', async () => {
    const r = await cli('image', 'import', path.join(dataDir, 'nope.tar'), '-d', dataDir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^skiff image: .*nope\.tar: no such file$/m);
  });

  it('reports a file that is no image archive', async () => {
    const file = path.join(dataDir, 'notes.txt');
    writeFileSync(file, 'notes\n'.repeat(100));
    const r = await cli('image', 'import', file, '-d', dataDir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /notes\.txt is not a tar archive/);
  });

  it('says how to start containerd when it is not running', async () => {
    const r = await cli('image', 'ls', '-d', dataDir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /containerd is not running: no socket at .*containerd\.sock; start it with `skiff up`, or pass --container-runtime-endpoint/);
  });

  it('builds busybox without importing, then finds it up to date', async () => {
    const first = await cli('image', 'build', 'busybox', '--no-import', '-d', dataDir);
    assert.equal(first.code, 0, first.stderr);
    const archive = /^busybox: built in [\d.]+s: (\S+\.tar)$/m.exec(first.stdout)?.[1];
    assert.ok(archive && existsSync(archive), first.stdout);
    const second = await cli('image', 'build', 'busybox', '--no-import', '-d', dataDir);
    assert.equal(second.stdout, `busybox: up to date: ${archive}\n`);
    const unknown = await cli('image', 'build', 'redis', '--no-import', '-d', dataDir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no built-in image "redis"; Skiff builds busybox and nginx/);
  });
});
