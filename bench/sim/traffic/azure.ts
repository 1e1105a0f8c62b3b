/**
 * Azure LLM inference trace format (Splitwise, AzurePublicDataset; traces/README.md):
 *   TIMESTAMP,ContextTokens,GeneratedTokens
 *   2023-11-16 18:17:03.9799600,4808,10
 * Timestamps are wall-clock (UTC, up to 7 fractional digits); arrivals are relative to the first row.
 * No prefix information: hashIds are empty.
 */
import { fail, isCount, MAX_REPORTED, type Trace, type TraceRequest } from './types.js';

const HEADER = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'];
const TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/;

/** Milliseconds since the epoch (fractional), or undefined when malformed. */
export function parseAzureTimestamp(s: string): number | undefined {
  const m = TS.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  const check = new Date(base);
  if (
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(sec) > 59
  )
    return undefined;
  return base + (frac ? Number(`0.${frac}`) * 1000 : 0);
}

function parseRow(line: string, where: string): { ms: number; req: TraceRequest } | string {
  const cols = line.split(',');
  if (cols.length !== 3) return `${where}: expected 3 columns, got ${cols.length}`;
  const ms = parseAzureTimestamp((cols[0] as string).trim());
  const ctx = Number(cols[1]);
  const gen = Number(cols[2]);
  if (ms === undefined) return `${where}: TIMESTAMP ${JSON.stringify(cols[0])} is not YYYY-MM-DD HH:MM:SS[.fffffff]`;
  if (!/^\s*\d+\s*$/.test(cols[1] as string) || !isCount(ctx, 1))
    return `${where}: ContextTokens must be an integer ≥ 1, got ${JSON.stringify(cols[1])}`;
  if (!/^\s*\d+\s*$/.test(cols[2] as string) || !isCount(gen, 0))
    return `${where}: GeneratedTokens must be an integer ≥ 0, got ${JSON.stringify(cols[2])}`;
  return { ms, req: { arrival: 0, promptTokens: ctx, outputTokens: Math.max(1, gen), hashIds: [] } };
}

export function parseAzure(file: string, text: string): Trace {
  const lines = text.split('\n');
  const header = (lines[0] ?? '')
    .trim()
    .replace(/^\uFEFF/, '')
    .split(',');
  if (header.length !== 3 || !header.every((h, i) => h.trim() === HEADER[i])) {
    fail(file, [`line 1: expected header ${HEADER.join(',')}, got ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`]);
  }
  const rows: Array<{ ms: number; req: TraceRequest }> = [];
  const problems: string[] = [];
  for (let i = 1; i < lines.length && problems.length <= MAX_REPORTED; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const parsed = parseRow(line, `line ${i + 1}`);
    if (typeof parsed === 'string') problems.push(parsed);
    else rows.push(parsed);
  }
  if (problems.length > 0) fail(file, problems);
  if (rows.length === 0) fail(file, ['no requests']);
  rows.sort((a, b) => a.ms - b.ms);
  const t0 = (rows[0] as { ms: number }).ms;
  const requests = rows.map((r) => ({ ...r.req, arrival: (r.ms - t0) / 1000 }));
  return { name: file, requests, durationS: Math.ceil((requests[requests.length - 1] as TraceRequest).arrival + 1) };
}
