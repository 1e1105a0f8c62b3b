/**
 * The user's API: the typed form of an InferenceService's `kserve-llmd.io/…` annotations,
 * and its defaults (one place; README's annotation reference documents the same values).
 */
import type { Accelerator } from '../names.js';
import type { ReplicaRange } from './values.js';

export const ROUTING_MODES = ['prefix-aware', 'load-aware', 'precise-prefix', 'none'] as const;
export type Routing = (typeof ROUTING_MODES)[number];

export const DISAGGREGATION_MODES = ['none', 'prefill-decode'] as const;
export type Disaggregation = (typeof DISAGGREGATION_MODES)[number];

export interface KvOffload {
  /** CPU memory tier, bytes (and the quantity as written, for resource comparisons and messages). */
  cpuBytes: number;
  cpu: string;
  /** Optional local-disk tier below the CPU tier. */
  diskBytes?: number;
  disk?: string;
}

export interface Slo {
  ttftMs: number;
  itlMs: number;
}

export interface Gateway {
  namespace: string;
  name: string;
}

export interface LlmdSettings {
  routing: Routing;
  disaggregation: Disaggregation;
  /** Set only when the annotation names one; otherwise inferred from the predictor's resources. */
  accelerator?: Accelerator;
  kvOffload: KvOffload | null;
  decodeReplicas: ReplicaRange;
  prefillReplicas: ReplicaRange;
  slo: Slo;
  scaleToZeroAfterMs: number;
  /**
   * Prompt tokens per second one replica prefills (llm-d's `peakPrefillThroughput`, what its calibrate.sh
   * prints); null = the autoscaler's default, raised by what it measures (autoscaler/decider/defaults.ts).
   */
  prefillThroughput: number | null;
  gateway: Gateway | null;
  /** On a controller-created prefill sibling: the name of the InferenceService it prefills for. */
  prefillFor: string | null;
  /** Annotation keys (short names) the user actually wrote. */
  explicit: ReadonlySet<string>;
}

/**
 * Defaults. Decode keeps one warm replica (the KServe default minReplicas is 1); prefill may sit at zero
 * because a decode pod prefills locally when no prefill pod is picked (llm-d disaggregation.md).
 */
export function defaultSettings(): Omit<LlmdSettings, 'explicit'> {
  return {
    routing: 'prefix-aware',
    disaggregation: 'none',
    kvOffload: null,
    decodeReplicas: { min: 1, max: 4 },
    prefillReplicas: { min: 0, max: 4 },
    slo: { ttftMs: 2000, itlMs: 100 },
    scaleToZeroAfterMs: 5 * 60_000,
    prefillThroughput: null,
    gateway: null,
    prefillFor: null,
  };
}
