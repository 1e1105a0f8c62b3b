/**
 * The EndpointPickerConfig format (llm-d.md §2, llm-d-router docs/architecture.md) and the inputs it is
 * generated from.
 */
import type { Disaggregation, KvOffload, Routing } from '../../core/annotations/settings.js';
import type { ReplicaRange } from '../../core/annotations/values.js';

export interface EppPlugin {
  /** Defaults to `type` when absent; a pluginRef names it. */
  name?: string;
  type: string;
  parameters?: Record<string, unknown>;
}

export interface ProfilePluginRef {
  pluginRef: string;
  /**
   * Score = Σ weight × score; a scorer without one gets 1.0 (DefaultScorerWeight, pkg/epp/config/loader/
   * defaults.go, v0.9.0). Emitted as written (2.4, not 2.4000000000000004).
   */
  weight?: number;
}

export interface SchedulingProfile {
  name: string;
  plugins: ProfilePluginRef[];
}

export interface EndpointPickerConfig {
  apiVersion: 'llm-d.ai/v1alpha1';
  kind: 'EndpointPickerConfig';
  featureGates?: string[];
  plugins: EppPlugin[];
  schedulingProfiles: SchedulingProfile[];
  dataLayer?: { sources: Array<{ pluginRef: string; extractors: Array<{ pluginRef: string }> }> };
}

export interface EppInputs {
  pool: string;
  namespace: string;
  routing: Exclude<Routing, 'none'>;
  disaggregation: Disaggregation;
  kvOffload: KvOffload | null;
  decodeReplicas: ReplicaRange;
  prefillReplicas: ReplicaRange;
  /** vLLM's KV-events ZMQ port on each pod (webhook injection.kvEventsPort). */
  kvEventsPort: number;
  /** The model name the pool's pods serve (render requests carry it): controller/objects/tokenizer.ts. */
  modelName: string;
  /** Base URL of the pool's vLLM render endpoints for the token-producer (controller/objects/tokenizer.ts). */
  tokenizerUrl: string;
  pdNonCachedTokens: number;
  kvBytesPerBlock: number;
}

/** What one builder adds: plugin definitions, weighted scorers for every profile, data-layer sources, gates. */
export interface Contribution {
  plugins?: EppPlugin[];
  scorers?: ProfilePluginRef[];
  sources?: NonNullable<EndpointPickerConfig['dataLayer']>['sources'];
  featureGates?: string[];
}

export interface EppBuilder {
  name: string;
  /** Why, with the source of the rule. */
  when(inputs: EppInputs): boolean;
  build(inputs: EppInputs): Contribution;
}
