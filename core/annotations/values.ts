/**
 * Parsers for annotation values. Each returns a value or a string describing what is wrong;
 * the caller adds the annotation name and the accepted forms.
 */
import { parseDurationMs } from '../../src/config-schema.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

export { formatDuration } from '../../src/config-schema.js';

/** Go-style durations as Knative and Kubernetes users write them: `500ms`, `30s`, `5m`, `1h30m`. Milliseconds. */
export function parseDuration(text: string): Parsed<number> {
  const ms = parseDurationMs(text);
  return ms === undefined ? fail('not a duration') : ok(ms);
}

export function inRange(ms: number, min: number, max: number): boolean {
  return ms >= min && ms <= max;
}

const QUANTITY_SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes resource quantity of bytes (`100Gi`, `500G`, `1073741824`). Returns bytes. */
export function parseByteQuantity(text: string): Parsed<number> {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(text);
  if (!m) return fail('not a byte quantity');
  return ok(Math.round(Number(m[1]) * (QUANTITY_SUFFIX[m[2] ?? ''] as number)));
}

export interface ReplicaRange {
  min: number;
  max: number;
}

export const MAX_REPLICAS_LIMIT = 1000;

/** `MIN-MAX`, 0 ≤ MIN ≤ MAX, 1 ≤ MAX ≤ 1000. MIN 0 means scale to zero. */
export function parseReplicaRange(text: string): Parsed<ReplicaRange> {
  const m = /^(\d{1,4})-(\d{1,4})$/.exec(text);
  if (!m) return fail('not of the form MIN-MAX');
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (max < 1 || max > MAX_REPLICAS_LIMIT) return fail(`MAX must be in [1, ${MAX_REPLICAS_LIMIT}]`);
  if (min > max) return fail(`MIN ${min} is greater than MAX ${max}`);
  return ok({ min, max });
}

/** `key=value` pairs separated by commas; duplicate or empty keys are errors. */
export function parsePairs(text: string): Parsed<Map<string, string>> {
  const pairs = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0 || key === '' || value === '') return fail(`"${part.trim()}" is not key=value`);
    if (pairs.has(key)) return fail(`${key} is given twice`);
    pairs.set(key, value);
  }
  return ok(pairs);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDnsLabel(text: string): boolean {
  return DNS_LABEL.test(text);
}

export function isDnsSubdomain(text: string): boolean {
  return DNS_SUBDOMAIN.test(text);
}

/** Levenshtein distance, for did-you-mean suggestions on annotation keys and enum values. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j] as number;
      row[j] = Math.min(up + 1, (row[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length] as number;
}

/** The closest candidate within a distance that still reads as a typo, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  // A suggestion for a 1 MB key would cost an edit distance over a megabyte and help nobody.
  if (word.length > 64) return undefined;
  const lower = word.toLowerCase();
  if (lower.length >= 3) {
    const partial = candidates.find((c) => c.startsWith(lower) || c.includes(lower));
    if (partial) return partial;
  }
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
