/**
 * Prometheus text exposition format 0.0.4 parser (prometheus/docs exposition_formats.md): `# HELP`, `# TYPE`,
 * samples `name{label="value",…} value [timestamp]`, label escapes \\ \" \n, values NaN/+Inf/-Inf.
 *
 * Strict like Prometheus itself: one malformed line rejects the whole scrape (a half-read page must not look
 * like an idle pod). `want` skips samples by name before their labels are parsed: a vLLM page has hundreds
 * of lines and the collector needs a few dozen, which is what keeps 4,000 pods under a second per tick.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class ExpositionError extends Error {}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Parse a page. `want(name)` false → the sample is skipped (still checked for a valid name). */
export function parsePrometheusText(text: string, want: (name: string) => boolean = () => true): Sample[] {
  const out: Sample[] = [];
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) continue;
    const sample = parseLine(line, want, lineNo);
    if (sample) out.push(sample);
  }
  return out;
}

function parseLine(line: string, want: (name: string) => boolean, lineNo: number): Sample | undefined {
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ' && line[i] !== '\t') i++;
  const name = line.slice(0, i);
  if (!NAME.test(name)) throw new ExpositionError(`line ${lineNo}: invalid metric name ${JSON.stringify(name.slice(0, 64))}`);
  let labels: Record<string, string> = {};
  const skip = !want(name);
  if (line[i] === '{') {
    const close = skip ? skipLabels(line, i + 1, lineNo) : readLabels(line, i + 1, lineNo, (labels = {}));
    i = close + 1;
  }
  if (skip) return undefined;
  const rest = line.slice(i).trim().split(/[ \t]+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') throw new ExpositionError(`line ${lineNo}: expected "value [timestamp]" after ${name}`);
  const value = parseValue(rest[0] as string);
  if (value === undefined) throw new ExpositionError(`line ${lineNo}: invalid value ${JSON.stringify((rest[0] as string).slice(0, 32))} for ${name}`);
  if (rest[1] !== undefined && !/^-?\d+$/.test(rest[1])) throw new ExpositionError(`line ${lineNo}: invalid timestamp for ${name}`);
  return { name, labels, value };
}

export function parseValue(s: string): number | undefined {
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** Reads `k="v",…}` starting after `{`; returns the index of `}`. */
function readLabels(line: string, i: number, lineNo: number, into: Record<string, string>): number {
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return i;
    const eq = line.indexOf('=', i);
    if (eq < 0) throw new ExpositionError(`line ${lineNo}: label without "="`);
    const key = line.slice(i, eq).trim();
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) throw new ExpositionError(`line ${lineNo}: invalid label name ${JSON.stringify(key.slice(0, 64))}`);
    if (line[eq + 1] !== '"') throw new ExpositionError(`line ${lineNo}: label ${key} value must be quoted`);
    let j = eq + 2;
    let value = '';
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') {
        const c = line[++j];
        value += c === 'n' ? '\n' : c === '\\' ? '\\' : c === '"' ? '"' : `\\${c ?? ''}`;
      } else value += line[j];
    }
    if (j >= line.length) throw new ExpositionError(`line ${lineNo}: unterminated label value for ${key}`);
    into[key] = value;
    i = j + 1;
    if (line[i] !== ',' && line[i] !== '}') throw new ExpositionError(`line ${lineNo}: expected "," or "}" after label ${key}`);
  }
}

/** Finds the closing `}` without building the label map (quoted values may contain `}` and escaped quotes). */
function skipLabels(line: string, i: number, lineNo: number): number {
  let quoted = false;
  for (; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '}') return i;
  }
  throw new ExpositionError(`line ${lineNo}: unterminated label set`);
}
