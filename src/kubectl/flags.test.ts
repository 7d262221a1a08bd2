import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { duration, FlagError, parseFlags, UnsupportedFlagError, type FlagSpec } from './flags.ts';

const specs: FlagSpec[] = [
  { name: 'namespace', short: 'n', type: 'string' },
  { name: 'stdin', short: 'i', type: 'bool' },
  { name: 'tty', short: 't', type: 'bool' },
  { name: 'replicas', type: 'int' },
  { name: 'image', type: 'strings' },
  { name: 'from-literal', type: 'array' },
  { name: 'timeout', type: 'duration' },
];

describe('parseFlags (cobra/pflag rules)', () => {
  it('takes flags anywhere, in every form', () => {
    const p = parseFlags(['pod', '-nkube-system', '-it', '--replicas=3', 'x', '--image', 'a,b', '--image=c'], specs);
    assert.deepEqual(p.args, ['pod', 'x']);
    assert.equal(p.flags.get('namespace'), 'kube-system');
    assert.equal(p.flags.get('stdin'), true);
    assert.equal(p.flags.get('tty'), true);
    assert.equal(p.flags.get('replicas'), '3');
    assert.deepEqual(p.flags.get('image'), ['a', 'b', 'c']);
  });

  it('keeps commas in StringArray values', () => {
    const p = parseFlags(['--from-literal=a=1,2', '--from-literal', 'b=x,y'], specs);
    assert.deepEqual(p.flags.get('from-literal'), ['a=1,2', 'b=x,y']);
  });

  it('counts the positional arguments before `--` as cobra does', () => {
    assert.equal(parseFlags(['pod', '-i', '--', 'sh', '-c', 'exit 3'], specs).argsLenAtDash, 1);
    const p = parseFlags(['pod', '--', 'sh', '-c', 'exit 3'], specs);
    assert.deepEqual(p.args, ['pod', 'sh', '-c', 'exit 3']);
    assert.equal(parseFlags(['--', 'echo'], specs).argsLenAtDash, 0);
    assert.equal(parseFlags(['pod', 'echo'], specs).argsLenAtDash, -1);
  });

  it('words bad input as pflag does, and tells unsupported flags apart', () => {
    assert.throws(() => parseFlags(['--nope'], specs), new FlagError('unknown flag: --nope'));
    assert.throws(() => parseFlags(['-x'], specs), new FlagError("unknown shorthand flag: 'x' in -x"));
    assert.throws(() => parseFlags(['--replicas=two'], specs), FlagError);
    assert.throws(() => parseFlags(['-n'], specs), new FlagError("flag needs an argument: 'n' in -n"));
    assert.throws(() => parseFlags(['--watch'], specs, ['watch']), UnsupportedFlagError);
  });

  it('checks Go durations while parsing, as pflag does, and reads them in milliseconds', () => {
    assert.equal(duration(parseFlags(['--timeout=1m30s'], specs).flags, 'timeout', 7), 90_000);
    assert.equal(duration(parseFlags([], specs).flags, 'timeout', 7), 7);
    assert.throws(() => parseFlags(['--timeout=soon'], specs), new FlagError('invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"'));
  });
});
