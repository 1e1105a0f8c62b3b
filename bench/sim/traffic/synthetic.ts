/**
 * Synthetic traffic: Poisson, bursty on/off (idle gaps long enough for scale to zero), diurnal
 * (sinusoidal rate, by thinning a Poisson process). Lengths are log-normal around the given medians;
 * a share of requests starts with one of a few shared system prompts (hashIds in Mooncake's 512-token
 * blocks) so prefix-aware routing has something to find.
 *
 * Spec: KIND[:key=value,…], e.g. `bursty:rate=6,on=5m,off=10m,duration=1h`.
 */
import { parseDuration } from '../../../core/annotations/values.js';
import { HASH_BLOCK_TOKENS } from '../../../model/kv.js';
import { exponential, logNormal, type Rng } from '../../../model/rng.js';
import { TraceError, type Trace, type TraceRequest } from './types.js';

export const SYNTHETIC_KINDS = ['poisson', 'bursty', 'diurnal'] as const;
export type SyntheticKind = (typeof SYNTHETIC_KINDS)[number];

export interface SyntheticSpec {
  kind: SyntheticKind;
  /** Mean requests/s (bursty: during on periods; diurnal: the trough-to-peak mean). */
  rate: number;
  durationS: number;
  onS: number;
  offS: number;
  /** Diurnal: peak rate ÷ mean rate, and the period. */
  peak: number;
  periodS: number;
  isl: number;
  osl: number;
  /** Fraction of requests that start with a shared system prompt. */
  prefix: number;
  prefixTokens: number;
}

const DEFAULTS: Omit<SyntheticSpec, 'kind'> = {
  rate: 4,
  durationS: 3600,
  onS: 300,
  offS: 600,
  peak: 2,
  periodS: 3600,
  isl: 2000,
  osl: 200,
  prefix: 0.5,
  prefixTokens: 2048,
};

const NUMERIC: Record<string, [keyof SyntheticSpec, number, number]> = {
  rate: ['rate', 0.001, 10_000],
  peak: ['peak', 1, 100],
  isl: ['isl', 1, 200_000],
  osl: ['osl', 1, 32_000],
  prefix: ['prefix', 0, 1],
  'prefix-tokens': ['prefixTokens', 512, 100_000],
};
const DURATIONS: Record<string, keyof SyntheticSpec> = {
  duration: 'durationS',
  on: 'onS',
  off: 'offS',
  period: 'periodS',
};

export function parseSyntheticSpec(text: string): SyntheticSpec {
  const [kind, params = ''] = text.split(/:(.*)/s);
  if (!(SYNTHETIC_KINDS as readonly string[]).includes(kind as string))
    throw new TraceError(`synthetic traffic "${kind}": kind must be one of ${SYNTHETIC_KINDS.join(', ')}`);
  const spec: SyntheticSpec = { kind: kind as SyntheticKind, ...DEFAULTS };
  for (const pair of params.split(',').filter((p) => p.trim() !== '')) {
    const [k = '', v = ''] = pair.split('=').map((s) => s.trim());
    const num = NUMERIC[k];
    const dur = DURATIONS[k];
    if (num) {
      const n = Number(v);
      if (!Number.isFinite(n) || n < num[1] || n > num[2])
        throw new TraceError(`synthetic ${k}=${v}: must be a number in [${num[1]}, ${num[2]}]`);
      (spec[num[0]] as number) = n;
    } else if (dur) {
      const ms = parseDuration(v);
      if (!ms.ok || ms.value < 1000 || ms.value > 7 * 86_400_000)
        throw new TraceError(`synthetic ${k}=${v}: must be a duration in [1s, 168h], e.g. 90s, 5m, 1h`);
      (spec[dur] as number) = ms.value / 1000;
    } else {
      throw new TraceError(
        `synthetic: unknown parameter "${k}" ` +
          `(known: ${[...Object.keys(NUMERIC), ...Object.keys(DURATIONS)].join(', ')})`,
      );
    }
  }
  return spec;
}

/** Instantaneous rate at time t (requests/s). */
export function rateAt(s: SyntheticSpec, t: number): number {
  if (s.kind === 'bursty') return t % (s.onS + s.offS) < s.onS ? s.rate : 0;
  if (s.kind === 'diurnal') return s.rate * (1 + (s.peak - 1) * Math.sin((2 * Math.PI * t) / s.periodS - Math.PI / 2));
  return s.rate;
}

export function generateSynthetic(s: SyntheticSpec, rng: Rng): Trace {
  const maxRate = s.kind === 'diurnal' ? s.rate * (1 + (s.peak - 1)) : s.rate;
  const requests: TraceRequest[] = [];
  const groups = 8;
  let unique = 1_000_000_000;
  for (let t = exponential(rng, 1 / maxRate); t < s.durationS; t += exponential(rng, 1 / maxRate)) {
    if (rng.next() * maxRate > Math.max(0, rateAt(s, t))) continue;
    const promptTokens = Math.max(1, Math.round(Math.min(logNormal(rng, s.isl, 0.6), 120_000)));
    const outputTokens = Math.max(1, Math.round(Math.min(logNormal(rng, s.osl, 0.6), 8_000)));
    const blocks = Math.ceil(promptTokens / HASH_BLOCK_TOKENS);
    const shared = rng.next() < s.prefix ? Math.min(blocks, Math.floor(s.prefixTokens / HASH_BLOCK_TOKENS)) : 0;
    const group = Math.floor(rng.next() * groups);
    const hashIds: number[] = [];
    for (let b = 0; b < blocks; b++) hashIds.push(b < shared ? group * 1000 + b : unique++);
    requests.push({ arrival: t, promptTokens, outputTokens, hashIds });
  }
  const name =
    `synthetic ${s.kind} ` +
    `(rate ${s.rate}/s${s.kind === 'bursty' ? `, on ${s.onS}s / off ${s.offS}s` : ''}, ${s.durationS}s)`;
  return { name, requests, durationS: s.durationS };
}
