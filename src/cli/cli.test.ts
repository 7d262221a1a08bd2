import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runCli } from './cli.ts';
import { UsageError, type CliIO, type Command } from './command.ts';

function io() {
  const out = { stdout: '', stderr: '' };
  const sink: CliIO = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t) };
  return { out, sink };
}

const pkgVersion = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;

test('an unknown command is an error naming it, with a hint', async () => {
  const { out, sink } = io();
  assert.equal(await runCli(['frobnicate'], sink), 1);
  assert.equal(out.stdout, '');
  assert.match(out.stderr, /^skiff: unknown command "frobnicate" for "skiff"\n/);
  assert.match(out.stderr, /Run 'skiff --help' for usage\.\n$/);
});

test('a near miss suggests the command', async () => {
  const { out, sink } = io();
  assert.equal(await runCli(['sever'], sink), 1);
  assert.match(out.stderr, /Did you mean this\?\n\tserver\n/);
});

for (const argv of [[], ['--help'], ['-h'], ['help']]) {
  test(`\`skiff ${argv.join(' ')}\` prints help listing the commands`, async () => {
    const { out, sink } = io();
    assert.equal(await runCli(argv, sink), 0);
    assert.match(out.stdout, /^Usage:\n  skiff <command> \[flags\]$/m);
    assert.match(out.stdout, /^  server\s+Run the Kubernetes API server/m);
    assert.match(out.stdout, /^  version\s+/m);
    assert.match(out.stdout, /^  up\s+Run a whole cluster/m);
    assert.match(out.stdout, /^  agent\s+Run this machine as a node/m);
    assert.match(out.stdout, /^  image\s+/m);
    assert.doesNotMatch(out.stdout, /^\s+(join|init)\s/m, 'commands that do not exist yet are not offered');
    assert.match(out.stdout, /^  kubectl\s+Run kubectl against/m);
  });
}

test('help for a command: `skiff help server`, `skiff server --help`, `skiff server -h`', async () => {
  for (const argv of [['help', 'server'], ['server', '--help'], ['server', '--data-dir', '/x', '-h']]) {
    const { out, sink } = io();
    assert.equal(await runCli(argv, sink), 0, argv.join(' '));
    assert.match(out.stdout, /--data-dir DIR/);
    assert.match(out.stdout, /--secure-port PORT/);
  }
});

test('`skiff help nope` is an unknown command', async () => {
  const { out, sink } = io();
  assert.equal(await runCli(['help', 'nope'], sink), 1);
  assert.match(out.stderr, /unknown command "nope"/);
});

test('`skiff version` and `skiff --version` print the package version', async () => {
  for (const argv of [['version'], ['--version']]) {
    const { out, sink } = io();
    assert.equal(await runCli(argv, sink), 0);
    assert.match(out.stdout, new RegExp(`^skiff version v${pkgVersion.replaceAll('.', '\\.')}\n`));
  }
});

test('an unknown root flag is an error', async () => {
  const { out, sink } = io();
  assert.equal(await runCli(['--frob'], sink), 1);
  assert.match(out.stderr, /unknown flag: --frob/);
});

test('bad server flags are reported without starting anything', async () => {
  const { out, sink } = io();
  assert.equal(await runCli(['server', '--bogus'], sink), 1);
  assert.match(out.stderr, /^skiff server: unknown flag: --bogus\nRun 'skiff server --help' for usage\.\n$/);
  const second = io();
  assert.equal(await runCli(['server', '--secure-port', 'http'], second.sink), 1);
  assert.match(second.out.stderr, /invalid argument "http" for "--secure-port"/);
});

test('commands dispatch through the table with their arguments; failures become exit 1 with a message', async () => {
  const calls: string[][] = [];
  const commands: Command[] = [
    { name: 'echo', summary: 's', usage: 'u', run: async (args, o) => (calls.push(args), o.stdout(args.join(' ')), 3) },
    { name: 'boom', summary: 's', usage: 'u', run: async () => { throw new Error('kaput'); } },
    { name: 'picky', summary: 's', usage: 'u', run: async () => { throw new UsageError('needs a name'); } },
  ];
  const a = io();
  assert.equal(await runCli(['echo', 'a', '--', '-h'], a.sink, commands), 3, '-h after -- is an argument');
  assert.deepEqual(calls, [['a', '--', '-h']]);
  const b = io();
  assert.equal(await runCli(['boom'], b.sink, commands), 1);
  assert.equal(b.out.stderr, 'skiff boom: kaput\n');
  const c = io();
  assert.equal(await runCli(['picky'], c.sink, commands), 1);
  assert.match(c.out.stderr, /^skiff picky: needs a name\nRun 'skiff picky --help'/);
});
