// Progress of a command that starts things (`skiff up`): one line per finished step with its duration. On a terminal,
// a spinner line names the steps under way, and other output written meanwhile (logs) appears above it; elsewhere
// (logs, pipes) plain lines with no ANSI, and a step still running after a while is announced once.

/** What Progress writes to: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(chunk: string): boolean;
  /** Terminal width, when a terminal. */
  columns?: number;
}

export interface StepHandle {
  /** What the step is doing right now (shown on a terminal only), e.g. "40% Unpacking conntrack". */
  update(detail: string): void;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** A terminal: spinner and redrawing; otherwise plain lines. */
  tty: boolean;
  /** On a terminal, take over stream.write so other writers' lines land above the spinner (undone by close()). */
  interceptWrites?: boolean;
  now?: () => number;
  /** Spinner frame interval (default 80 ms). */
  frameMs?: number;
  /** Without a terminal: a step still running after this long gets a line saying it started (default 3 s). */
  slowAfterMs?: number;
}

interface Running {
  label: string;
  started: number;
  detail?: string;
  slowTimer?: NodeJS.Timeout;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[2K';

/** 0.91 s, 12.3 s, 2 min 5 s. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export class Progress {
  readonly #opts: ProgressOptions;
  readonly #now: () => number;
  readonly #write: (text: string) => void;
  readonly #running = new Set<Running>();
  #frame = 0;
  #spinner: NodeJS.Timeout | undefined;
  #drawn = false;
  #restore: (() => void) | undefined;

  constructor(opts: ProgressOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
    const stream = opts.stream;
    const original = stream.write;
    this.#write = (text) => void original.call(stream, text);
    if (opts.tty && opts.interceptWrites) {
      stream.write = (chunk: string, ...rest: unknown[]) => {
        this.#clear();
        const written = (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
        this.#draw();
        return written;
      };
      this.#restore = () => {
        stream.write = original;
      };
    }
  }

  /** Runs `work` as a step: its line (with `summary` of the result, if any) once it finishes or fails. */
  async step<T>(label: string, work: (step: StepHandle) => Promise<T>, summary?: (result: T) => string | undefined): Promise<T> {
    const step: Running = { label, started: this.#now() };
    this.#running.add(step);
    if (this.#opts.tty) {
      this.#startSpinner();
      this.#redraw();
    } else {
      step.slowTimer = setTimeout(() => this.#line(`${label} ...`), this.#opts.slowAfterMs ?? 3000);
      step.slowTimer.unref();
    }
    let result: T;
    try {
      result = await work({
        update: (detail) => {
          step.detail = detail;
        },
      });
    } catch (err) {
      this.#finish(step, false);
      throw err;
    }
    this.#finish(step, true, summary?.(result));
    return result;
  }

  /** A line of its own (e.g. a note), kept apart from the spinner. */
  line(text: string): void {
    this.#line(text);
  }

  /** Stops the spinner and gives stream.write back. */
  close(): void {
    if (this.#spinner) clearInterval(this.#spinner);
    this.#spinner = undefined;
    this.#clear();
    for (const step of this.#running) clearTimeout(step.slowTimer);
    this.#running.clear();
    this.#restore?.();
    this.#restore = undefined;
  }

  #finish(step: Running, ok: boolean, summary?: string): void {
    clearTimeout(step.slowTimer);
    this.#running.delete(step);
    const took = formatDuration(this.#now() - step.started);
    const detail = ok && summary ? `: ${summary}` : '';
    this.#line(this.#opts.tty ? `${ok ? '✓' : '✗'} ${step.label} (${took})${detail}` : `${step.label} ... ${ok ? 'done' : 'failed'} (${took})${detail}`);
    if (!this.#running.size && this.#spinner) {
      clearInterval(this.#spinner);
      this.#spinner = undefined;
    }
  }

  #line(text: string): void {
    this.#clear();
    this.#write(`${text}\n`);
    this.#draw();
  }

  #startSpinner(): void {
    if (this.#spinner) return;
    this.#spinner = setInterval(() => {
      this.#frame = (this.#frame + 1) % FRAMES.length;
      this.#redraw();
    }, this.#opts.frameMs ?? 80);
    this.#spinner.unref();
  }

  #redraw(): void {
    this.#clear();
    this.#draw();
  }

  #clear(): void {
    if (!this.#drawn) return;
    this.#write(CLEAR_LINE);
    this.#drawn = false;
  }

  /** The spinner line: every step under way, and how long the oldest has taken. */
  #draw(): void {
    if (!this.#opts.tty || !this.#running.size || this.#drawn) return;
    const steps = [...this.#running];
    const oldest = Math.min(...steps.map((s) => s.started));
    let text = `${FRAMES[this.#frame]} ${steps.map((s) => (s.detail ? `${s.label} (${s.detail})` : s.label)).join(', ')} … ${formatDuration(this.#now() - oldest)}`;
    const width = this.#opts.stream.columns;
    // A wrapped line cannot be cleared with one \r.
    if (width && text.length > width - 1) text = `${text.slice(0, Math.max(0, width - 2))}…`;
    this.#write(text);
    this.#drawn = true;
  }
}
