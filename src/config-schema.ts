/**
 * The one config-schema helper behind every component's typed configuration (webhook src/config.ts, controller,
 * autoscaler, local): a schema is a tree of checks mirroring the config's shape; `parseWithSchema` overlays a
 * YAML/flag mapping on the defaults (unknown keys and non-mappings are errors: a typo must not be ignored) and
 * then checks every value. One error style everywhere: `<scope> <key>=<value>: <accepted forms>`, all problems
 * at once, joined by `; `. Defaults stay with each config; the checks shared by all (ports, durations, pinned
 * images, http(s) URLs) live here once.
 */
import { isRecord } from './types/kube.js';

export class ConfigError extends Error {}

/** A check returns undefined when the value is acceptable, else the accepted forms ("must be …"). */
export type Check = (value: unknown) => string | undefined;
/** A config's shape: each key a check (a leaf) or a nested schema (a mapping). */
export interface Schema {
  readonly [key: string]: Check | Schema;
}

export const int =
  (min: number, max: number, note?: string): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? undefined
      : `must be an integer ${max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`}${note ? ` (${note})` : ''}`;
export const intOrNull =
  (min: number, max: number): Check =>
  (v) =>
    v === null ? undefined : int(min, max)(v);
export const port: Check = int(1, 65535);
export const str: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
export const nonEmpty: Check = (v) =>
  typeof v === 'string' && v.length > 0 ? undefined : 'must be a non-empty string';
export const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
export const oneOf =
  (values: readonly string[], say = `one of ${values.join(', ')}`): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `must be ${say}`;
export const matches =
  (re: RegExp, say: string): Check =>
  (v) =>
    typeof v === 'string' && re.test(v) ? undefined : `must be ${say}`;
/** A value that may be absent (undefined); when present, `check` applies. */
export const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined ? undefined : check(v);

/** `name[:tag][@sha256:digest]` with a tag or digest, never `:latest`: an unpinned image changes under us. */
export function isPinnedImage(v: unknown): boolean {
  return (
    typeof v === 'string' &&
    /^[^\s:]+(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/.test(v) &&
    !v.endsWith(':latest') &&
    /[:@]/.test(v.split('/').pop() ?? '')
  );
}
export const pinnedImage: Check = (v) =>
  isPinnedImage(v) ? undefined : 'must be an image with a pinned tag or digest (not :latest)';

function isHttpUrl(v: unknown): boolean {
  if (typeof v !== 'string' || !/^https?:\/\/\S+$/.test(v)) return false;
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}
/** An http(s) URL; `orEmpty`: '' (off) is accepted too. */
export const httpUrl =
  (orEmpty = false): Check =>
  (v) =>
    (orEmpty && v === '') || isHttpUrl(v) ? undefined : `must be an http(s) URL${orEmpty ? ' or empty' : ''}`;
export const httpUrls: Check = (v) =>
  Array.isArray(v) && v.every(isHttpUrl) ? undefined : 'must be a list of http(s) URLs';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as Knative and Kubernetes users write them: `500ms`, `30s`, `5m`, `1h30m`. Milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (text.length === 0 || consumed !== text.length) return undefined;
  return Math.round(total);
}

/** Human form of a millisecond duration, for error messages (`30s`, `24h`, `100ms`). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A duration string (`30s`, `10m`) within [minMs, maxMs]. */
export const duration =
  (minMs: number, maxMs: number): Check =>
  (v) => {
    const ms = typeof v === 'string' ? parseDurationMs(v) : undefined;
    return ms !== undefined && ms >= minMs && ms <= maxMs
      ? undefined
      : `must be a duration in [${formatDuration(minMs)}, ${formatDuration(maxMs)}]`;
  };

/** One problem in the common style: `key=value: accepted forms`. */
export function problem(path: string, value: unknown, rule: string): string {
  return `${path}=${JSON.stringify(value)}: ${rule}`;
}

/** Throw one ConfigError naming every problem, if there is any. */
export function throwIfAny(scope: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new ConfigError(`${scope} ${problems.join('; ')}`);
}

/** Overlay `input` on `out` (a copy of the defaults) along `schema`; shape problems go to `problems`. */
function overlay(
  out: Record<string, unknown>,
  input: Record<string, unknown>,
  schema: Schema,
  path: string,
  problems: string[],
): void {
  for (const [key, value] of Object.entries(input)) {
    const entry = schema[key];
    const at = `${path}${key}`;
    if (!entry) problems.push(`${at}: unknown key; known: ${Object.keys(schema).join(', ')}`);
    else if (typeof entry === 'function') out[key] = value;
    else if (!isRecord(value)) problems.push(`${at}: must be a mapping`);
    else overlay(out[key] as Record<string, unknown>, value, entry, `${at}.`, problems);
  }
}

/** Check every value `schema` names in `config`; problems go to `problems`. */
export function checkAll(config: unknown, schema: Schema, problems: string[], path = ''): void {
  const values = isRecord(config) ? config : {};
  for (const [key, entry] of Object.entries(schema)) {
    const value = values[key];
    if (typeof entry === 'function') {
      const rule = entry(value);
      if (rule) problems.push(problem(`${path}${key}`, value, rule));
    } else checkAll(value, entry, problems, `${path}${key}.`);
  }
}

/** Check `config` against `schema`; returns it or throws one ConfigError naming every bad value. */
export function validateWithSchema<T>(scope: string, config: T, schema: Schema): T {
  const problems: string[] = [];
  checkAll(config, schema, problems);
  throwIfAny(scope, problems);
  return config;
}

/**
 * Overlay `input` (parsed YAML or flags; undefined/null = nothing) on `base` (the defaults) and check the result.
 * `base` is not modified.
 */
export function parseWithSchema<T>(scope: string, input: unknown, base: T, schema: Schema): T {
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  const problems: string[] = [];
  if (input !== undefined && input !== null) {
    if (!isRecord(input)) throw new ConfigError(`${scope}: must be a mapping`);
    overlay(out, input, schema, '', problems);
  }
  checkAll(out, schema, problems);
  throwIfAny(scope, problems);
  return out as unknown as T;
}
