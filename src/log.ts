/**
 * A tiny structured logger: one JSON object per line on stdout (time, level, msg, fields),
 * the shape log collectors (Loki, Cloud Logging) parse without configuration. No dependency.
 */
import type { Writable } from 'node:stream';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. {component: 'cert-reloader'}). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; tests inject a collecting stream. Defaults to process.stdout. */
  stream?: Pick<Writable, 'write'>;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED = new Set(['time', 'level', 'msg']);

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && value in RANK;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return build(opts.level ?? 'info', opts.stream ?? process.stdout, {});
}

function build(level: LogLevel, stream: Pick<Writable, 'write'>, bound: LogFields): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[lvl] < min) return;
    // time/level/msg lead the line for humans and cannot be overwritten by a caller's field.
    const line: LogFields = { time: new Date().toISOString(), level: lvl, msg };
    for (const extra of [bound, fields]) {
      for (const key in extra) if (!RESERVED.has(key)) line[key] = extra[key];
    }
    stream.write(`${fastStringify(line)}\n`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => build(level, stream, { ...bound, ...fields }),
  };
}

/**
 * The hot path (one line per admission): plain JSON.stringify when no field needs the replacer; only
 * Errors, bigints and cycles take the slower safe path.
 */
function fastStringify(line: LogFields): string {
  for (const key in line) {
    const v = line[key];
    if (v instanceof Error || typeof v === 'bigint' || (typeof v === 'object' && v !== null))
      return safeStringify(line);
  }
  return JSON.stringify(line);
}

/** JSON.stringify that never throws: Errors become {name, message}, bigints strings, cycles '[Circular]'. */
function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (v instanceof Error) return { name: v.name, message: v.message };
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  } catch (err) {
    return JSON.stringify({
      time: new Date().toISOString(),
      level: 'error',
      msg: 'unserializable log line',
      error: String(err),
    });
  }
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = build('error', { write: () => true }, {});
