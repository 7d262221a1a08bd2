import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, Progress, type ProgressStream } from './progress.ts';

function fakeStream(columns?: number): ProgressStream & { text: string } {
  const stream = {
    text: '',
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
    ...(columns ? { columns } : {}),
  };
  return stream;
}

/** A clock the test moves by hand. */
function clock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const ESC = String.fromCharCode(0x1b);

void describe('progress', () => {
  void it('without a terminal: one plain line per finished step, with its duration and summary', async () => {
    const stream = fakeStream();
    const c = clock();
    const progress = new Progress({ stream, tty: false, now: c.now });
    const plane = await progress.step(
      'starting the control plane',
      async (s) => {
        s.update('ignored without a terminal');
        c.advance(912);
        return { url: 'https://127.0.0.1:6443' };
      },
      (p) => p.url,
    );
    assert.equal(plane.url, 'https://127.0.0.1:6443');
    await progress.step('preparing images', async () => void c.advance(12_345), () => 'found pause, busybox, nginx');
    await assert.rejects(
      progress.step('starting containerd', async () => {
        c.advance(75_000);
        throw new Error('containerd exited');
      }),
      /containerd exited/,
    );
    progress.line('a note');
    progress.close();
    assert.equal(
      stream.text,
      'starting the control plane ... done (0.91 s): https://127.0.0.1:6443\n' +
        'preparing images ... done (12.3 s): found pause, busybox, nginx\n' +
        'starting containerd ... failed (1 min 15 s)\n' +
        'a note\n',
    );
    assert.ok(!stream.text.includes(ESC), 'no ANSI escapes when not a terminal');
  });

  void it('without a terminal: a step still running after a while says it started, once', async () => {
    const stream = fakeStream();
    const progress = new Progress({ stream, tty: false, slowAfterMs: 5 });
    await progress.step('installing Debian packages: conntrack', () => new Promise((r) => setTimeout(r, 60)));
    progress.close();
    assert.match(stream.text, /^installing Debian packages: conntrack \.\.\.\ninstalling Debian packages: conntrack \.\.\. done \(\d\.\d\d s\)\n$/);
  });

  void it('on a terminal: a spinner line for the steps under way, cleared before each finished line', async () => {
    const stream = fakeStream(60);
    const c = clock();
    const progress = new Progress({ stream, tty: true, now: c.now, frameMs: 1_000_000 });
    let finishContainerd!: () => void;
    const containerd = progress.step('starting containerd', () => new Promise<void>((r) => (finishContainerd = r)));
    await progress.step('starting the control plane', async (s) => {
      s.update('opening storage');
      c.advance(500);
    });
    c.advance(100);
    finishContainerd();
    await containerd;
    progress.close();
    const t = stream.text;
    assert.ok(t.includes('⠋ starting containerd … 0.00 s'), t);
    assert.ok(t.includes(`\r${ESC}[2K✓ starting the control plane (0.50 s)\n⠋ starting containerd … 0.50 s`), t);
    assert.ok(t.includes('✓ starting containerd (0.60 s)\n'), t);
    assert.ok(t.endsWith('✓ starting containerd (0.60 s)\n'), 'nothing drawn after the last step');
  });

  void it('on a terminal: long spinner lines are cut to the width, and other writers land above the spinner', async () => {
    const stream = fakeStream(20);
    const progress = new Progress({ stream, tty: true, interceptWrites: true, frameMs: 1_000_000 });
    let finish!: () => void;
    const step = progress.step('a very long step label indeed', () => new Promise<void>((r) => (finish = r)));
    stream.write('{"msg":"a log line"}\n');
    finish();
    await step;
    progress.close();
    const lines = stream.text.split(`\r${ESC}[2K`);
    assert.equal(lines[0], '⠋ a very long step…');
    assert.equal(lines[1], '{"msg":"a log line"}\n⠋ a very long step…');
    // close() gave write back: no more clearing around it.
    stream.write('after\n');
    assert.ok(stream.text.endsWith(')\nafter\n'), stream.text);
  });

  void it('formats durations', () => {
    assert.deepEqual([formatDuration(4), formatDuration(9_994), formatDuration(10_000), formatDuration(125_000)], ['0.00 s', '9.99 s', '10.0 s', '2 min 5 s']);
  });
});
