/**
 * The policy interface every autoscaler in the benchmark implements: every tick (1 s of virtual time) it
 * sees what a real autoscaler could scrape — per-pod vLLM signals of the READY pods, pod counts, and the
 * requests buffered while a role has no ready pod (Knative activator / EPP flow-control queue) — and may
 * return new desired replica counts. Policies keep their own windows and cadence (KPA 2 s, HPA 15 s, …).
 */
import type { EnginePreset } from '../../../model/presets.js';

export type Role = 'decode' | 'prefill';

export interface EngineSnapshot {
  id: string;
  /** vllm:num_requests_waiting / _running / kv_cache_usage_perc. */
  waiting: number;
  running: number;
  kvUsage: number;
  /** Requests on the pod in any state (queue-proxy concurrency, as Knative measures it). */
  inflight: number;
  /** Prompt tokens not prefilled yet (waiting + running). */
  queuedPrefillTokens: number;
  /** KV tokens held by running requests. */
  kvTokens: number;
  /** Cumulative counters (vllm:prompt_tokens_total, generation_tokens_total, request_success_total). */
  promptTokensTotal: number;
  generationTokensTotal: number;
  requestSuccessTotal: number;
  /** Uncached prompt tokens routed here without a first token yet (the EPP's llm_d_epp_inflight_tokens). */
  inflightUncachedTokens: number;
  /** The pod's /metrics page as a real vLLM would serve it. */
  metricsText(): string;
}

export interface RoleObservation {
  /** Pods counted as replicas: starting + ready (draining pods are leaving). */
  replicas: number;
  ready: number;
  starting: number;
  engines: EngineSnapshot[];
  /** Requests buffered for this role because it has no ready pod. */
  buffered: number;
  bufferedPromptTokens: number;
}

export interface Observation {
  /** Seconds of virtual time. */
  now: number;
  decode: RoleObservation;
  /**
   * What the EPP reports (llm-d router metrics): requests held in its flow-control queue (or, with flow control
   * off, buffered while the pool has no ready pod) — llm_d_epp_flow_control_queue_size — and requests dispatched
   * and not finished — llm_d_epp_request_running.
   */
  epp?: { flowQueued: number; running: number };
  /** Present when the fleet is disaggregated. */
  prefill?: RoleObservation;
}

export interface Desired {
  decode: number;
  prefill: number;
}

export interface Policy {
  readonly name: string;
  /** Called every tick; undefined = no change. */
  step(obs: Observation): Desired | undefined;
  /** Optional: how often each decision rule fired (reported in the JSON result). */
  reasons?: Map<string, number>;
  /** The stack this policy is deployed with runs the EPP's flow control (cluster.ts `flowControl`). */
  flowControl?: boolean;
}

export interface SloTarget {
  ttftMs: number;
  itlMs: number;
}

export interface PolicyContext {
  preset: EnginePreset;
  slo: SloTarget;
  disaggregated: boolean;
  /** Upper bound on replicas per role (all policies). */
  maxReplicas: number;
  /** Seconds from pod creation to ready. */
  coldStartS: number;
  /** The user's kserve-llmd.io/scale-to-zero-after, seconds (policies with their own idle rule ignore it). */
  scaleToZeroAfterS: number;
  /** Replicas per role the fleet starts with (warm). */
  initial: Desired;
  /**
   * The prefill throughput a user measured with llm-d's calibrate.sh (tokens/s per replica), for the policies
   * whose documented setup takes it (ours: the kserve-llmd.io/prefill-throughput annotation); undefined = unset.
   */
  prefillThroughput?: number;
}

export type PolicyFactory = (ctx: PolicyContext) => Policy;
