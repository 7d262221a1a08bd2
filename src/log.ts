// Structured logs: one JSON object per line, or a readable line for people at a terminal.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger for a sub-component ("apiserver" → "apiserver.watch") writing to the same place. */
  child(component: string): Logger;
}

export interface LoggerOptions {
  /** Default: text when stderr is a terminal, JSON otherwise. */
  format?: LogFormat;
  /** Records below this level are dropped. Default: info (debug when SKIFF_DEBUG is set). */
  level?: LogLevel;
  /** Where lines go. Default: process.stderr. */
  write?: (line: string) => void;
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED = new Set(['time', 'level', 'component', 'msg']);

function plain(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out['code'] = code;
    if (value.cause !== undefined && depth < 3) out['cause'] = plain(value.cause, depth + 1);
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Fields as plain data (errors as name, message, code and cause), e.g. to pass them to another thread. */
export function plainFields(fields: LogFields): LogFields {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, plain(value)]));
}

function jsonLine(time: Date, level: LogLevel, component: string, msg: string, fields: LogFields | undefined): string {
  const record: Record<string, unknown> = { time: time.toISOString(), level, component, msg };
  for (const [key, value] of Object.entries(fields ?? {})) {
    record[RESERVED.has(key) ? `field.${key}` : key] = plain(value);
  }
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify({ time: record['time'], level, component, msg, fields: '<unserialisable>' });
  }
}

function textValue(value: unknown): string {
  const v = plain(value);
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v !== null && typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      return '<unserialisable>';
    }
  }
  return String(v);
}

function textLine(time: Date, level: LogLevel, component: string, msg: string, fields: LogFields | undefined): string {
  const clock = time.toISOString().slice(11, 23);
  const pairs = Object.entries(fields ?? {}).map(([k, v]) => ` ${k}=${textValue(v)}`);
  return `${clock} ${level.toUpperCase().padEnd(5)} ${component}: ${msg}${pairs.join('')}`;
}

export function createLogger(component: string, opts: LoggerOptions = {}): Logger {
  const format = opts.format ?? (process.stderr.isTTY ? 'text' : 'json');
  const threshold = RANK[opts.level ?? (process.env['SKIFF_DEBUG'] ? 'debug' : 'info')];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = opts.now ?? (() => new Date());
  const render = format === 'json' ? jsonLine : textLine;
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    write(render(now(), level, component, msg, fields));
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (sub) => createLogger(`${component}.${sub}`, { ...opts, format, write, now, level: levelOf(threshold) }),
  };
}

function levelOf(rank: number): LogLevel {
  return (Object.keys(RANK) as LogLevel[]).find((l) => RANK[l] === rank) ?? 'info';
}

/** A logger that drops everything (for tests and library defaults). */
export function silentLogger(): Logger {
  const noop = () => {};
  const logger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  return logger;
}
