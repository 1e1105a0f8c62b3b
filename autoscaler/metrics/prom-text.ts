/**
 * Prometheus text exposition format 0.0.4 parser (prometheus/docs exposition_formats.md): `# HELP`, `# TYPE`,
 * samples `name{label="value",…} value [timestamp]`, label escapes \\ \" \n, values NaN/+Inf/-Inf.
 *
 * Strict on what it reads, like Prometheus: a malformed name anywhere, or a malformed wanted sample, rejects
 * the whole scrape (a half-read page must not look like an idle pod). `want` skips samples by name before
 * anything else on their line is read: a vLLM page has ~190 lines and the collector needs about half, and
 * 4,000 pages per tick is what the loop's one-second budget has to cover (bench autoscaler-loop). Lines of
 * unwanted samples are checked for a valid name only.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class ExpositionError extends Error {}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** Character codes of the exposition format's delimiters (shared with the byte parser, prom-bytes.ts). */
export const CH = { SPACE: 32, TAB: 9, COMMA: 44, QUOTE: 34, BACKSLASH: 92, EQ: 61, LBRACE: 123, RBRACE: 125 } as const;
const { LBRACE, RBRACE, QUOTE, SPACE, TAB, COMMA } = CH;

type Keep = (name: string) => readonly string[] | undefined;

/**
 * Parse a page. `want(name)` false → the sample is skipped. `keep(name)`, when given, lists the label names
 * to keep for a wanted sample (the others are still validated): a vLLM page's histogram buckets need only
 * `le`, and 4,000 pods × 100 buckets of full label maps is real garbage per tick.
 */
export function parsePrometheusText(text: string, want: (name: string) => boolean = () => true, keep?: Keep): Sample[] {
  const out: Sample[] = [];
  const len = text.length;
  let pos = 0;
  let lineNo = 0;
  // Samples of one family come in runs (a histogram's buckets): when a line starts with the previous line's
  // name, reuse its validated name and want() answer instead of slicing and hashing it again.
  const ctx: Ctx = { text, lineNo: 0, want, keep, prev: { name: '', wanted: false } };
  while (pos < len) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = len;
    ctx.lineNo = ++lineNo;
    const end = eol > pos && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
    if (end > pos && text.charCodeAt(pos) !== 35 /* # */) {
      const s = parseSample(ctx, pos, end);
      if (s) out.push(s);
    }
    pos = eol + 1;
  }
  return out;
}

interface Prev {
  name: string;
  wanted: boolean;
}
interface Ctx {
  text: string;
  lineNo: number;
  want: (name: string) => boolean;
  keep?: Keep;
  prev: Prev;
}

function sameName(text: string, start: number, end: number, prev: Prev): boolean {
  const n = prev.name.length;
  if (n === 0 || start + n >= end || !text.startsWith(prev.name, start)) return false;
  const c = text.charCodeAt(start + n);
  return c === LBRACE || c === SPACE || c === TAB;
}

// Complexity over the lint limit on purpose: one unrolled pass over a sample line (name, labels, value,
// timestamp), the reference parser the fast path is checked against (test/autoscaler/metrics-stream.test.ts).
function parseSample(ctx: Ctx, start: number, end: number): Sample | undefined {
  const { text, lineNo, want, keep, prev } = ctx;
  let i = start;
  let name: string;
  if (sameName(text, start, end, prev)) {
    if (!prev.wanted) return undefined;
    name = prev.name;
    i = start + name.length;
  } else {
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === LBRACE || c === SPACE || c === TAB) break;
    }
    name = text.slice(start, i);
    if (!NAME.test(name))
      throw new ExpositionError(`line ${lineNo}: invalid metric name ${JSON.stringify(name.slice(0, 64))}`);
    prev.name = name;
    prev.wanted = want(name);
    if (!prev.wanted) return undefined;
  }
  let labels: Record<string, string> = EMPTY;
  if (text.charCodeAt(i) === LBRACE) [labels, i] = labelSet(ctx, i + 1, end, keep?.(name));
  // value [timestamp]
  while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
  let j = i;
  while (j < end && text.charCodeAt(j) !== SPACE && text.charCodeAt(j) !== TAB) j++;
  const raw = text.slice(i, j);
  const value = raw === '' ? undefined : parseValue(raw);
  if (value === undefined)
    throw new ExpositionError(`line ${lineNo}: invalid value ${JSON.stringify(raw.slice(0, 32))} for ${name}`);
  if (j < end) {
    const ts = text.slice(j, end).trim();
    if (ts !== '' && !/^-?\d+$/.test(ts))
      throw new ExpositionError(`line ${lineNo}: expected "value [timestamp]" after ${name}`);
  }
  return { name, labels, value };
}

const EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;
/**
 * Parsed label sets by their raw text (per keep-list): consecutive scrapes of one deployment repeat the same
 * label sets, so each is parsed and validated once. Bounded; the objects are frozen because they are shared.
 */
const LABEL_CACHE = new Map<readonly string[] | undefined, Map<string, Record<string, string>>>();
const LABEL_CACHE_MAX = 50_000;

/** Labels from `i` (after `{`): [labels, index after `}`]. */
function labelSet(ctx: Ctx, i: number, end: number, only?: readonly string[]): [Record<string, string>, number] {
  const { text } = ctx;
  const k = text.indexOf('"}', i);
  const raw = k >= 0 && k < end ? text.slice(i, k + 2) : undefined;
  let cache = LABEL_CACHE.get(only);
  const hit = raw !== undefined && !raw.includes('\\') ? cache?.get(raw) : undefined;
  if (hit) return [hit, k + 2];
  const into: Record<string, string> = {};
  const close = readLabels(ctx, i, end, into, only);
  if (raw !== undefined && close === k + 1 && !raw.includes('\\')) {
    if (!cache) LABEL_CACHE.set(only, (cache = new Map()));
    if (cache.size >= LABEL_CACHE_MAX) cache.clear();
    cache.set(raw, Object.freeze(into) as Record<string, string>);
  }
  return [into, close + 1];
}

export function parseValue(s: string): number | undefined {
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return NUMBER.test(s) ? Number(s) : undefined;
}

/** Reads `k="v",…}` from `i` (after `{`) within [i, end); returns the index of `}`. */
function readLabels(ctx: Ctx, i: number, end: number, into: Record<string, string>, only?: readonly string[]): number {
  const { text, lineNo } = ctx;
  for (;;) {
    while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === COMMA)) i++;
    if (i >= end) throw new ExpositionError(`line ${lineNo}: unterminated label set`);
    if (text.charCodeAt(i) === RBRACE) return i;
    const eq = text.indexOf('=', i);
    if (eq < 0 || eq >= end) throw new ExpositionError(`line ${lineNo}: label without "="`);
    const key = text.slice(i, eq).trim();
    if (!LABEL.test(key))
      throw new ExpositionError(`line ${lineNo}: invalid label name ${JSON.stringify(key.slice(0, 64))}`);
    if (text.charCodeAt(eq + 1) !== QUOTE)
      throw new ExpositionError(`line ${lineNo}: label ${key} value must be quoted`);
    const [value, close] = readQuoted(text, eq + 2, end, lineNo, key);
    if (!only || only.includes(key)) into[key] = value;
    i = close + 1;
    const c = text.charCodeAt(i);
    if (c !== COMMA && c !== RBRACE)
      throw new ExpositionError(`line ${lineNo}: expected "," or "}" after label ${key}`);
  }
}

/** A quoted value starting after `"`: [value, index of the closing quote]. Escapes take the slow path. */
function readQuoted(text: string, from: number, end: number, lineNo: number, key: string): [string, number] {
  const q = text.indexOf('"', from);
  const bs = text.indexOf('\\', from);
  if (q >= 0 && q < end && (bs < 0 || bs > q)) return [text.slice(from, q), q];
  let value = '';
  for (let j = from; j < end; j++) {
    const c = text[j];
    if (c === '"') return [value, j];
    if (c === '\\') {
      const e = text[++j];
      value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : `\\${e ?? ''}`;
    } else value += c;
  }
  throw new ExpositionError(`line ${lineNo}: unterminated label value for ${key}`);
}
