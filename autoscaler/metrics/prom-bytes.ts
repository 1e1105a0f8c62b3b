/**
 * The Prometheus text format 0.0.4 grammar of ./prom-text.ts, read from bytes: one line of a page as it sits in
 * a response chunk, without decoding the page to a string or allocating per sample. The collector streams
 * 4,000 pages × ~19 KiB per tick through this (bench autoscaler-loop); decoding them first was ~75 MB of
 * strings per tick. It accepts and rejects exactly what parsePrometheusText does, with the same messages
 * (test/autoscaler/metrics-stream.test.ts compares the two): names and label names are ASCII, and UTF-8
 * never puts `"`, `\`, `{`, `}`, `,`, `=`, space or tab inside a multi-byte character, so a byte scan finds
 * the same delimiters as the string scan. Rare shapes (odd whitespace around a label name, non-ASCII around a
 * value or timestamp) are decoded and handed to the string rules.
 */
import { CH, ExpositionError, parseValue } from './prom-text.js';

const { SPACE, TAB, COMMA, QUOTE, BACKSLASH, EQ, LBRACE, RBRACE } = CH;

/** 1: may start a metric name; 2: may continue one; 4: may start a label name; 8: may continue one. */
const CLASS = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const digit = c >= 48 && c <= 57;
  CLASS[c] = (alpha || c === 58 ? 1 | 2 : 0) | (digit ? 2 | 8 : 0) | (alpha ? 4 | 8 : 0);
}

/** A line to read: bytes [start, end) of buf (no trailing \r or \n); lineNo for messages. */
export interface Line {
  buf: Buffer;
  start: number;
  end: number;
  lineNo: number;
}

/** End of the metric name at `start` (first `{`, space or tab, or end). */
export function nameEnd(l: Line): number {
  const { buf, end } = l;
  let i = l.start;
  while (i < end) {
    const c = buf[i] as number;
    if (c === LBRACE || c === SPACE || c === TAB) break;
    i++;
  }
  return i;
}

/** Throws like the string parser unless [start, i) is a valid metric name. */
export function checkName(l: Line, i: number): void {
  const { buf, start } = l;
  let ok = i > start && ((CLASS[buf[start] as number] as number) & 1) !== 0;
  for (let j = start + 1; ok && j < i; j++) ok = ((CLASS[buf[j] as number] as number) & 2) !== 0;
  if (!ok)
    throw new ExpositionError(
      `line ${l.lineNo}: invalid metric name ${JSON.stringify(buf.toString('utf8', start, i).slice(0, 64))}`,
    );
}

/** Called with each kept label (its name is one of `keep`); the value decoded with escapes. */
export type OnLabel = (name: string, value: string) => void;

/** Read `k="v",…}` from `i` (after `{`); calls onLabel for label names in `keep`; returns the index after `}`. */
// Complexity over the lint limit on purpose: an unrolled byte-level parser on the scrape hot path (one pass, no
// allocations per label); splitting it would add calls per byte. test/autoscaler/metrics-stream.test.ts.
export function readLabels(l: Line, i: number, keep: readonly string[], onLabel: OnLabel): number {
  const { buf, end, lineNo } = l;
  for (;;) {
    while (i < end && (buf[i] === SPACE || buf[i] === COMMA)) i++;
    if (i >= end) throw new ExpositionError(`line ${lineNo}: unterminated label set`);
    if (buf[i] === RBRACE) return i + 1;
    const at = i;
    const eq = buf.indexOf(EQ, i);
    if (eq < 0 || eq >= end) throw new ExpositionError(`line ${lineNo}: label without "="`);
    const key = labelName(l, at, eq);
    if (buf[eq + 1] !== QUOTE || eq + 1 >= end)
      throw new ExpositionError(`line ${lineNo}: label ${keyText(l, at, eq, key)} value must be quoted`);
    const kept = key === undefined ? keptFast(buf, at, eq, keep) : keep.includes(key) ? key : undefined;
    let close = quotedFast(l, eq + 2, kept, onLabel);
    if (close < 0) {
      const [value, c] = quotedSlow(l, eq + 2, keyText(l, at, eq, key));
      if (kept !== undefined) onLabel(kept, value);
      close = c;
    }
    i = close + 1;
    const c = i < end ? buf[i] : undefined;
    if (c !== COMMA && c !== RBRACE)
      throw new ExpositionError(`line ${lineNo}: expected "," or "}" after label ${keyText(l, at, eq, key)}`);
  }
}

/**
 * A quoted value without escapes from `from` (after `"`): reported to onLabel when kept; returns the closing
 * quote's index, or -1 when the value has escapes or no closing quote on the line (quotedSlow's case).
 */
function quotedFast(l: Line, from: number, kept: string | undefined, onLabel: OnLabel): number {
  const { buf, end } = l;
  const q = buf.indexOf(QUOTE, from);
  if (q < 0 || q >= end) return -1;
  // A backslash before the closing quote means escapes; look only up to that quote.
  for (let j = from; j < q; j++) if (buf[j] === BACKSLASH) return -1;
  if (kept !== undefined) onLabel(kept, buf.toString('utf8', from, q));
  return q;
}

/**
 * The label name in [i, eq) checked byte by byte: undefined when valid as it stands (the common case, nothing
 * decoded). Odd shapes (`a ="1"`, tabs, non-ASCII) get the string parser's exact rule — trim, then the name
 * pattern — and come back decoded.
 */
function labelName(l: Line, i: number, eq: number): string | undefined {
  const { buf } = l;
  let ok = eq > i && ((CLASS[buf[i] as number] as number) & 4) !== 0;
  for (let j = i + 1; ok && j < eq; j++) ok = ((CLASS[buf[j] as number] as number) & 8) !== 0;
  if (ok) return undefined;
  const key = buf.toString('utf8', i, eq).trim();
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key))
    throw new ExpositionError(`line ${l.lineNo}: invalid label name ${JSON.stringify(key.slice(0, 64))}`);
  return key;
}

function keyText(l: Line, i: number, eq: number, key: string | undefined): string {
  return key ?? l.buf.toString('latin1', i, eq);
}

function keptFast(buf: Buffer, i: number, eq: number, keep: readonly string[]): string | undefined {
  for (const k of keep) {
    if (k.length !== eq - i) continue;
    let same = true;
    for (let j = 0; same && j < k.length; j++) same = buf[i + j] === k.charCodeAt(j);
    if (same) return k;
  }
  return undefined;
}

/** prom-text.ts readQuoted's escape rules (\n, \\, \"; any other escape kept as written). */
function quotedSlow(l: Line, from: number, key: string): [string, number] {
  const { buf, end } = l;
  const bytes: number[] = [];
  for (let j = from; j < end; j++) {
    const c = buf[j] as number;
    if (c === QUOTE) return [Buffer.from(bytes).toString('utf8'), j];
    if (c === BACKSLASH) {
      const e = buf[++j];
      if (e === 110 /* n */) bytes.push(10);
      else if (e === BACKSLASH || e === QUOTE) bytes.push(e);
      else if (j < end) bytes.push(BACKSLASH, e as number);
      // A backslash ending the line: the string parser appends it and then finds no closing quote either.
    } else bytes.push(c);
  }
  throw new ExpositionError(`line ${l.lineNo}: unterminated label value for ${key}`);
}

/**
 * `value [timestamp]` from `i` (after the name or `}`), as the string parser reads it. Integers written as
 * `123` or `123.0` (every count and counter on a vLLM page) are read without making a string.
 */
export function readValue(l: Line, i: number, name: string): number {
  const { buf, end, lineNo } = l;
  while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++;
  let j = i;
  while (j < end && buf[j] !== SPACE && buf[j] !== TAB) j++;
  const value = j > i ? (integer(buf, i, j) ?? parseValue(buf.toString('utf8', i, j))) : undefined;
  if (value === undefined)
    throw new ExpositionError(
      `line ${lineNo}: invalid value ${JSON.stringify(buf.toString('utf8', i, j).slice(0, 32))} for ${name}`,
    );
  if (j < end) timestamp(l, j, name);
  return value;
}

/** `digits` or `digits.0…`, at most 15 digits (exact in a double); undefined for anything else. */
function integer(buf: Buffer, i: number, j: number): number | undefined {
  let v = 0;
  let k = i;
  for (; k < j; k++) {
    const d = (buf[k] as number) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  if (k === i || k - i > 15) return undefined;
  if (k < j) {
    if (buf[k] !== 46 /* . */) return undefined;
    for (k++; k < j; k++) if (buf[k] !== 48) return undefined;
  }
  return v;
}

// Complexity over the lint limit on purpose: the unrolled grammar of an optional timestamp (byte parser, as above).
function timestamp(l: Line, j: number, name: string): void {
  const { buf, end } = l;
  let a = j;
  let b = end;
  while (a < b && (buf[a] === SPACE || buf[a] === TAB)) a++;
  while (b > a && (buf[b - 1] === SPACE || buf[b - 1] === TAB)) b--;
  let ok = true;
  let k = a < b && buf[a] === 45 /* - */ ? a + 1 : a;
  if (a < b) {
    ok = k < b;
    for (; ok && k < b; k++) ok = (buf[k] as number) >= 48 && (buf[k] as number) <= 57;
  }
  if (!ok) {
    // Other whitespace (\v, \f, non-ASCII spaces) is trimmed by the string rule: use it exactly.
    const ts = buf.toString('utf8', j, end).trim();
    if (ts !== '' && !/^-?\d+$/.test(ts))
      throw new ExpositionError(`line ${l.lineNo}: expected "value [timestamp]" after ${name}`);
  }
}
