import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixedNanoTimestamp, parseCriLogLine, parseTimestampNs, readCriLog, tailStartOffset, type LogReadOptions } from './crilog.ts';

const LOG = [
  '2024-05-01T10:00:00.1Z stdout F one',
  '2024-05-01T10:00:01.000000002Z stderr F two',
  '2024-05-01T10:00:02Z stdout P thr',
  '2024-05-01T10:00:02.5Z stdout F ee',
  '2024-05-01T10:00:03.123456789Z stdout F four',
  'garbage that is not a CRI line',
  '2024-05-01T10:00:04Z stdout F five',
].join('\n') + '\n';

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'skiff-crilog-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function read(text: string, opts: LogReadOptions): Promise<string> {
  const file = path.join(dir, `f${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(file, text);
  const chunks: Buffer[] = [];
  await readCriLog(file, opts, async (c) => void chunks.push(Buffer.from(c)));
  return Buffer.concat(chunks).toString();
}

describe('CRI log lines', () => {
  it('parses time, stream, tag and content; a partial line loses its newline', () => {
    const full = parseCriLogLine(Buffer.from('2024-05-01T10:00:00.5+02:00 stderr F hello world\n'))!;
    assert.equal(full.stream, 'stderr');
    assert.equal(full.partial, false);
    assert.equal(full.content.toString(), 'hello world\n');
    assert.equal(full.ns, BigInt(Date.parse('2024-05-01T08:00:00.5Z')) * 1_000_000n);
    const partial = parseCriLogLine(Buffer.from('2024-05-01T10:00:00Z stdout P:x abc\n'))!;
    assert.equal(partial.partial, true);
    assert.equal(partial.content.toString(), 'abc');
    assert.equal(parseCriLogLine(Buffer.from('2024-05-01T10:00:00Z console F x\n')), undefined);
    assert.equal(parseCriLogLine(Buffer.from('yesterday stdout F x\n')), undefined);
  });

  it('keeps nanoseconds and writes timestamps with nine digits in their own zone', () => {
    assert.equal(parseTimestampNs('1970-01-01T00:00:01.000000007Z'), 1_000_000_007n);
    assert.equal(fixedNanoTimestamp('2024-05-01T10:00:00.1Z'), '2024-05-01T10:00:00.100000000Z');
    assert.equal(fixedNanoTimestamp('2024-05-01T10:00:00+01:00'), '2024-05-01T10:00:00.000000000+01:00');
  });

  it('finds where the last n lines start, not counting an unfinished last line', async () => {
    const file = path.join(dir, 'tail.log');
    writeFileSync(file, 'a\nbb\nccc\ndd');
    const fh = await open(file, 'r');
    try {
      // An unfinished last line is not a line: tail 0 starts at it.
      assert.equal(await tailStartOffset(fh, 0), 9);
      assert.equal(await tailStartOffset(fh, 1), 5);
      assert.equal(await tailStartOffset(fh, 2), 2);
      assert.equal(await tailStartOffset(fh, 10), 0);
      assert.equal(await tailStartOffset(fh, -1), 0);
    } finally {
      await fh.close();
    }
  });
});

describe('reading a CRI log file', () => {
  it('writes both streams in order, joining partial lines and skipping what it cannot parse', async () => {
    assert.equal(await read(LOG, {}), 'one\ntwo\nthree\nfour\nfive\n');
  });

  it('prefixes each entry with its fixed-width timestamp', async () => {
    const out = await read(LOG, { timestamps: true, tailLines: 3 });
    assert.equal(out, '2024-05-01T10:00:03.123456789Z four\n2024-05-01T10:00:04.000000000Z five\n');
  });

  it('tails by file lines and stops after that many entries', async () => {
    assert.equal(await read(LOG, { tailLines: 1 }), 'five\n');
    assert.equal(await read(LOG, { tailLines: 0 }), '');
    // The last three file lines: "four", the garbage line (skipped), "five".
    assert.equal(await read(LOG, { tailLines: 3 }), 'four\nfive\n');
  });

  it('skips entries before sinceTime', async () => {
    const sinceNs = parseTimestampNs('2024-05-01T10:00:02.5Z')!;
    assert.equal(await read(LOG, { sinceNs }), 'ee\nfour\nfive\n');
  });

  it('cuts the output at limitBytes', async () => {
    assert.equal(await read(LOG, { limitBytes: 6 }), 'one\ntw');
  });

  it('writes one stream only when asked', async () => {
    assert.equal(await read(LOG, { stream: 'stderr' }), 'two\n');
  });

  it('writes an unfinished last line when not following', async () => {
    assert.equal(await read('2024-05-01T10:00:00Z stdout F done\n2024-05-01T10:00:01Z stdout F half', {}), 'done\nhalf');
  });

  it('follows new lines while the container runs and ends once it has stopped and the file is read', async () => {
    const file = path.join(dir, 'follow.log');
    writeFileSync(file, '2024-05-01T10:00:00Z stdout F first\n');
    let running = true;
    const seen: string[] = [];
    let onData: (() => void) | undefined;
    const done = readCriLog(
      file,
      { follow: true, tailLines: 5 },
      async (c) => {
        seen.push(c.toString());
        onData?.();
      },
      { isRunning: async () => running, pollMs: 50 },
    );
    const waitFor = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (seen.join('').includes(text)) {
            onData = undefined;
            resolve();
          }
        };
        onData = check;
        check();
      });
    await waitFor('first\n');
    // Half a line first: nothing is written until its newline arrives.
    appendFileSync(file, '2024-05-01T10:00:01Z stdout F sec');
    appendFileSync(file, 'ond\n');
    await waitFor('second\n');
    appendFileSync(file, '2024-05-01T10:00:02Z stderr F last words\n');
    running = false;
    await done;
    assert.equal(seen.join(''), 'first\nsecond\nlast words\n');
  });

  it('follows a log across its rotation: the rest of the old file, then the new one', async () => {
    const file = path.join(dir, 'rotating.log');
    writeFileSync(file, '2024-05-01T10:00:00Z stdout F before\n');
    let running = true;
    const seen: string[] = [];
    const done = readCriLog(file, { follow: true }, async (c) => void seen.push(c.toString()), { isRunning: async () => running, pollMs: 20 });
    const until = async (text: string) => {
      for (let i = 0; i < 200 && !seen.join('').includes(text); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until('before\n');
    // As log-rotation.ts and containerd do it: a last line into the old file, renamed, a new file at the path.
    appendFileSync(file, '2024-05-01T10:00:01Z stdout F last in the old file\n');
    renameSync(file, `${file}.20240501-100002`);
    writeFileSync(file, '2024-05-01T10:00:02Z stdout F first in the new file\n');
    await until('first in the new file\n');
    appendFileSync(file, '2024-05-01T10:00:03Z stdout F and on\n');
    await until('and on\n');
    running = false;
    await done;
    assert.equal(seen.join(''), 'before\nlast in the old file\nfirst in the new file\nand on\n');
  });

  it('stops following when the signal aborts', async () => {
    const file = path.join(dir, 'abort.log');
    writeFileSync(file, '2024-05-01T10:00:00Z stdout F only\n');
    const stop = new AbortController();
    const seen: string[] = [];
    const done = readCriLog(file, { follow: true }, async (c) => void seen.push(c.toString()), { isRunning: async () => true, pollMs: 20 }, stop.signal);
    setTimeout(() => stop.abort(), 100);
    await done;
    assert.deepEqual(seen, ['only\n']);
  });
});
