/**
 * Mooncake FAST'25 trace format (JSONL, one request per line; traces/README.md):
 *   {"timestamp": <ms since start>, "input_length": n, "output_length": n, "hash_ids": [int, …]}
 * hash_ids are 512-token prefix blocks; len(hash_ids) must be ceil(input_length / 512).
 *
 * Arrivals in the published traces fall on ~3 s ticks (README: "spread requests uniformly inside each
 * tick when replaying, or the benchmark sees artificial bursts"): each request is placed uniformly at
 * random between its tick and the next distinct timestamp (at most the median tick gap), seeded.
 */
import { HASH_BLOCK_TOKENS } from '../../../model/kv.js';
import type { Rng } from '../../../model/rng.js';
import { fail, isCount, MAX_REPORTED, type Trace, type TraceRequest } from './types.js';

interface Row {
  ts: number;
  req: TraceRequest;
}

function parseRow(line: string): { row?: Row; error?: string } {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (err) {
    return { error: `not JSON (${(err as Error).message})` };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { error: 'not a JSON object' };
  const r = o as Record<string, unknown>;
  if (typeof r.timestamp !== 'number' || !Number.isFinite(r.timestamp) || r.timestamp < 0)
    return { error: `timestamp must be a number of ms ≥ 0, got ${JSON.stringify(r.timestamp)}` };
  if (!isCount(r.input_length, 1))
    return { error: `input_length must be an integer ≥ 1, got ${JSON.stringify(r.input_length)}` };
  if (!isCount(r.output_length, 0))
    return { error: `output_length must be an integer ≥ 0, got ${JSON.stringify(r.output_length)}` };
  const h = r.hash_ids ?? [];
  if (!Array.isArray(h) || !h.every((x) => Number.isInteger(x)))
    return { error: 'hash_ids must be an array of integers' };
  const want = Math.ceil(r.input_length / HASH_BLOCK_TOKENS);
  if (h.length > 0 && h.length !== want)
    return {
      error:
        `hash_ids has ${h.length} blocks but ` +
        `input_length ${r.input_length} needs ` +
        `ceil(${r.input_length}/512) = ${want}`,
    };
  return {
    row: {
      ts: r.timestamp,
      req: {
        arrival: 0,
        promptTokens: r.input_length,
        outputTokens: Math.max(1, r.output_length),
        hashIds: h as number[],
      },
    },
  };
}

export function parseMooncake(file: string, text: string, rng: Rng): Trace {
  const rows: Row[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && problems.length <= MAX_REPORTED; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const { row, error } = parseRow(line);
    if (error) problems.push(`line ${i + 1}: ${error}`);
    else rows.push(row as Row);
  }
  if (problems.length > 0) fail(file, problems);
  if (rows.length === 0) fail(file, ['no requests']);
  rows.sort((a, b) => a.ts - b.ts);
  const ticks = [...new Set(rows.map((r) => r.ts))];
  const gaps = ticks
    .slice(1)
    .map((t, i) => t - (ticks[i] as number))
    .sort((a, b) => a - b);
  const medianGap = gaps.length > 0 ? (gaps[gaps.length >> 1] as number) : 0;
  const next = new Map<number, number>();
  ticks.forEach((t, i) => next.set(t, Math.min((ticks[i + 1] ?? t + medianGap) - t, medianGap)));
  const requests = rows.map((r) => ({ ...r.req, arrival: (r.ts + rng.next() * (next.get(r.ts) as number)) / 1000 }));
  requests.sort((a, b) => a.arrival - b.arrival);
  const last = (ticks[ticks.length - 1] as number) + medianGap;
  return { name: file, requests, durationS: last / 1000 };
}
