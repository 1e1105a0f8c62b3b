/**
 * Load traffic: a trace file in either shared format (detected from the content: JSON lines → Mooncake,
 * the Azure CSV header → Azure) or a synthetic spec; then the rate multiplier and an optional cut.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createRng, type Rng } from '../../../model/rng.js';
import { parseAzure } from './azure.js';
import { parseMooncake } from './mooncake.js';
import { generateSynthetic, parseSyntheticSpec } from './synthetic.js';
import { TraceError, type Trace, type TraceRequest } from './types.js';

export { TraceError, type Trace, type TraceRequest } from './types.js';

export function parseTraceText(file: string, text: string, rng: Rng): Trace {
  const first = text.trimStart()[0];
  if (first === '{') return parseMooncake(file, text, rng);
  if (text.replace(/^\uFEFF/, '').startsWith('TIMESTAMP')) return parseAzure(file, text);
  throw new TraceError(
    `${file}: line 1: unknown trace format (expected Mooncake ` +
      `JSON lines or the Azure CSV header ` +
      `TIMESTAMP,ContextTokens,GeneratedTokens)`,
  );
}

export interface LoadOptions {
  seed: number;
  /** Scales the arrival rate while keeping the timeline (see scaleRate). */
  rateMultiplier?: number;
  /** Replay only the first durationS seconds. */
  durationS?: number;
}

export async function loadTraffic(source: { file?: string; synthetic?: string }, opts: LoadOptions): Promise<Trace> {
  const rng = createRng(opts.seed);
  let trace: Trace;
  if (source.synthetic !== undefined) trace = generateSynthetic(parseSyntheticSpec(source.synthetic), rng);
  else if (source.file !== undefined) {
    let text: string;
    try {
      text = await readFile(source.file, 'utf8');
    } catch (err) {
      throw new TraceError(
        `${source.file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    trace = parseTraceText(basename(source.file), text, rng);
  } else throw new TraceError('no traffic: give a trace file or a synthetic spec');
  if (opts.durationS !== undefined) trace = cut(trace, opts.durationS);
  if (opts.rateMultiplier !== undefined && opts.rateMultiplier !== 1)
    trace = scaleRate(trace, opts.rateMultiplier, rng);
  return trace;
}

export function cut(trace: Trace, durationS: number): Trace {
  return {
    ...trace,
    requests: trace.requests.filter((r) => r.arrival < durationS),
    durationS: Math.min(trace.durationS, durationS),
  };
}

/**
 * Multiply the request rate by m without compressing time (so diurnal shape, idle gaps and cold starts
 * keep their real durations): each request is kept once, plus ⌊m⌋−1 copies and one more with probability
 * frac(m); m < 1 keeps each with probability m. Copies arrive up to 1 s later and get their own prefix
 * hashes (another user with the same conversation shape), so prefix reuse is not inflated.
 */
export function scaleRate(trace: Trace, m: number, rng: Rng): Trace {
  const out: TraceRequest[] = [];
  for (const r of trace.requests) {
    const copies = Math.floor(m) + (rng.next() < m - Math.floor(m) ? 1 : 0);
    for (let c = 0; c < copies; c++) {
      const hashIds = c === 0 ? r.hashIds : r.hashIds.map((h) => h + c * 2 ** 40);
      out.push({ ...r, arrival: c === 0 ? r.arrival : Math.min(trace.durationS, r.arrival + rng.next()), hashIds });
    }
  }
  out.sort((a, b) => a.arrival - b.arrival);
  return { ...trace, name: `${trace.name} ×${m}`, requests: out };
}
