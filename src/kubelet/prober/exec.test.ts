// exec probes through a fake runtime's execSync.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CriError } from '../cri/errors.ts';
import { RuntimeError, type ExecSyncResult } from '../runtime.ts';
import type { ProbeTarget } from './common.ts';
import { expandCommand } from './exec.ts';
import { runProbe } from './probe.ts';

interface Call {
  containerId: string;
  cmd: string[];
  timeoutSeconds: number;
  signal: AbortSignal | undefined;
}

function fakeRuntime(answer: (call: Call) => Promise<ExecSyncResult>): { runtime: ProbeTarget['runtime']; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    runtime: {
      execSync: (containerId, cmd, timeoutSeconds, signal) => {
        const call = { containerId, cmd, timeoutSeconds, signal };
        calls.push(call);
        return answer(call);
      },
    },
  };
}

const out = (stdout: string, stderr = '', exitCode = 0): ExecSyncResult => ({ stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), exitCode });
const target = (runtime: ProbeTarget['runtime'], extra: Partial<ProbeTarget> = {}): ProbeTarget => ({ podIPs: ['10.0.0.5'], containerId: 'ctr-1', runtime, ...extra });

describe('exec probe', () => {
  it('succeeds on exit 0, running the command in the container with timeoutSeconds', async () => {
    const { runtime, calls } = fakeRuntime(async () => out('fine\n'));
    const res = await runProbe({ exec: { command: ['cat', '/tmp/healthy'] }, timeoutSeconds: 5 }, target(runtime));
    assert.deepEqual(res, { result: 'success', message: 'fine\n' });
    assert.deepEqual(calls.map((c) => [c.containerId, c.cmd, c.timeoutSeconds]), [['ctr-1', ['cat', '/tmp/healthy'], 5]]);
  });

  it('fails on a non-zero exit with stdout and stderr as the message', async () => {
    const { runtime } = fakeRuntime(async () => out('', "cat: can't open '/tmp/healthy': No such file or directory\n", 1));
    assert.deepEqual(await runProbe({ exec: { command: ['cat', '/tmp/healthy'] } }, target(runtime)), {
      result: 'failure',
      message: "cat: can't open '/tmp/healthy': No such file or directory\n",
    });
  });

  it('keeps at most 10 KiB of output', async () => {
    const { runtime } = fakeRuntime(async () => out('a'.repeat(8000), 'b'.repeat(8000), 2));
    const res = await runProbe({ exec: { command: ['x'] } }, target(runtime));
    assert.equal(res.message.length, 10 * 1024);
    assert.ok(res.message.endsWith('b'));
  });

  it('is a failure "command … timed out" when the runtime reports its deadline', async () => {
    const { runtime } = fakeRuntime(async () => {
      throw new CriError('ExecSync', 4, 'timeout 1s exceeded: context deadline exceeded');
    });
    assert.deepEqual(await runProbe({ exec: { command: ['sh', '-c', 'sleep 5'] } }, target(runtime)), {
      result: 'failure',
      message: 'command "sh -c sleep 5" timed out',
    });
  });

  it('times out on its own when the runtime never answers, and aborts the call', async () => {
    const { runtime, calls } = fakeRuntime(() => new Promise<ExecSyncResult>(() => {}));
    const res = await runProbe({ exec: { command: ['sleep', '100'] } }, target(runtime), undefined, { timeoutMs: 100 });
    assert.deepEqual(res, { result: 'failure', message: 'command "sleep 100" timed out' });
    assert.equal(calls[0]!.signal?.aborted, true);
  });

  it('is unknown when the runtime cannot exec (container gone)', async () => {
    const { runtime } = fakeRuntime(async () => {
      throw new RuntimeError('NotFound', 'container "ctr-1" not found');
    });
    assert.deepEqual(await runProbe({ exec: { command: ['true'] } }, target(runtime)), { result: 'unknown', message: 'container "ctr-1" not found' });
  });

  it('expands $(VAR) from the container env values only', async () => {
    const { runtime, calls } = fakeRuntime(async () => out(''));
    const container = { name: 'app', env: [{ name: 'FILE', value: '/tmp/ok' }, { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] };
    await runProbe({ exec: { command: ['cat', '$(FILE)', '$$(FILE)', '$(SECRET)', '$(MISSING)', '$HOME'] } }, target(runtime, { container }));
    assert.deepEqual(calls[0]!.cmd, ['cat', '/tmp/ok', '$(FILE)', '', '$(MISSING)', '$HOME']);
  });
});

describe('expandCommand', () => {
  it('leaves an unterminated reference alone', () => {
    assert.deepEqual(expandCommand(['$(A', 'x$$y'], { name: 'c', env: [{ name: 'A', value: '1' }] }), ['$(A', 'x$y']);
  });
});
