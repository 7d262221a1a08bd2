import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from './command.ts';
import { AGENT_USAGE, parseAgentFlags } from './agent-flags.ts';

const env = { isRoot: true, homeDir: '/root', cwd: '/work', stderrIsTTY: false, defaultIP: '192.0.2.7' };

describe('parseAgentFlags', () => {
  it('needs --kubeconfig, and takes the kubelet’s log rotation and image garbage collection flags', () => {
    assert.throws(() => parseAgentFlags([], env), (err: unknown) => err instanceof UsageError && /needs --kubeconfig FILE/.test(err.message));
    const defaults = parseAgentFlags(['--kubeconfig', 'admin.conf'], env);
    assert.equal(defaults.kubeconfig, '/work/admin.conf');
    assert.equal(defaults.nodeIP, '192.0.2.7');
    assert.deepEqual(defaults.logRotation, { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 });
    const set = parseAgentFlags(['--kubeconfig', 'a', '--container-log-max-size', '50Mi', '--container-log-max-files', '10'], env);
    assert.deepEqual(set.logRotation, { maxSizeBytes: 50 * 1024 * 1024, maxFiles: 10 });
    assert.throws(() => parseAgentFlags(['--kubeconfig', 'a', '--container-log-max-files', 'many'], env), /want a whole number of at least 2/);
    assert.match(AGENT_USAGE, /--container-log-max-files N/);
    assert.deepEqual(defaults.imageGC, { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 120_000 });
    assert.equal(parseAgentFlags(['--kubeconfig', 'a', '--image-gc-high-threshold', '95'], env).imageGC.highThresholdPercent, 95);
    assert.throws(() => parseAgentFlags(['--kubeconfig', 'a', '--image-gc-low-threshold', '90'], env), /must be less than --image-gc-high-threshold \(85\)/);
  });
});
