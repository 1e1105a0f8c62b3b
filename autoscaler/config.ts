/**
 * Autoscaler configuration: typed, parsed and validated once; defaults here and nowhere else; every error
 * names the allowed range. `kserve-llmd autoscaler --config FILE` reads the same keys as YAML
 * (examples in docs/autoscaler.md); flags override the file.
 */
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import {
  bool,
  ConfigError,
  httpUrl,
  httpUrls,
  int,
  oneOf,
  parseWithSchema,
  port,
  str,
  type Schema,
} from '../src/config-schema.js';
import { INSTALL_NAMESPACE, LEASE_NAMES, SERVING_PORT } from '../core/names.js';

export type AutoscalerMode = 'Knative' | 'Standard';

export interface AutoscalerConfig {
  /** Knative: reconcile PodAutoscalers of our class. Standard: scale predictor Deployments directly. */
  mode: AutoscalerMode;
  /** Watch one namespace; empty = all. */
  namespace: string;
  /** Decision tick. The wake target is ≤ 1 s (WVA polls the EPP queue every 100 ms; KEDA every 15–30 s). */
  tickMs: number;
  /** Knative stable window and panic-window percentage (kserve-knative.md §4: 60 s, 10%). */
  stableWindowMs: number;
  panicWindowPercentage: number;
  scrape: { concurrency: number; timeoutMs: number; maxBodyBytes: number; keepAliveMs: number };
  /** Port of vLLM /metrics when a pod lacks the kserve-llmd.io/vllm-port annotation. */
  defaultVllmPort: number;
  /** Prompt length assumed for waiting requests before a pod has reported any. */
  defaultPromptTokens: number;
  /** Knative scale-to-zero-grace-period: SKS in Proxy with activators this long before /scale goes to 0. */
  scaleToZeroGraceMs: number;
  /** CloudEvents sink (else $K_SINK; empty = off). */
  sink: string;
  /**
   * EPP metrics URL per pool: `{service}` (the controller's EPP Service, core/names.ts eppServiceName), `{pool}`,
   * `{namespace}` substituted; empty = no EPP source. For our controller's EPPs: EPP_METRICS_URL_TEMPLATE.
   */
  eppMetricsUrl: string;
  /** File with a bearer token for the EPP metrics endpoint (it is authenticated, llm-d.md §1). */
  eppTokenFile: string;
  /** Knative activator metrics pages (one per activator replica); empty = no activator source. */
  activatorMetricsUrls: string[];
  /** Prometheus base URL for the optional HTTP API source; empty = scrape pods directly. */
  prometheusUrl: string;
  /** Replicas cap when a PA has no max-scale (Knative max-scale 0 = unlimited). */
  maxReplicasCap: number;
  leaderElection: { enabled: boolean; namespace: string; name: string };
  metrics: { host: string; port: number };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export function defaultAutoscalerConfig(): AutoscalerConfig {
  return {
    mode: 'Knative',
    namespace: '',
    tickMs: 1_000,
    stableWindowMs: 60_000,
    panicWindowPercentage: 10,
    // 4,000 pods in well under a second at 256 in flight; one scrape ≤ 800 ms keeps a tick from overrunning.
    scrape: { concurrency: 256, timeoutMs: 800, maxBodyBytes: 4 * 2 ** 20, keepAliveMs: 30_000 },
    defaultVllmPort: SERVING_PORT,
    defaultPromptTokens: 1024,
    scaleToZeroGraceMs: 30_000,
    sink: '',
    eppMetricsUrl: '',
    eppTokenFile: '',
    activatorMetricsUrls: [],
    prometheusUrl: '',
    maxReplicasCap: 1000,
    leaderElection: { enabled: true, namespace: INSTALL_NAMESPACE, name: LEASE_NAMES.autoscaler },
    metrics: { host: '0.0.0.0', port: 9090 },
    logLevel: 'info',
  };
}

const AUTOSCALER_SCHEMA: Schema = {
  mode: oneOf(['Knative', 'Standard']),
  namespace: str,
  tickMs: int(100, 10_000),
  stableWindowMs: int(6_000, 3_600_000),
  panicWindowPercentage: int(1, 100),
  defaultVllmPort: port,
  defaultPromptTokens: int(1, 10_000_000),
  scaleToZeroGraceMs: int(0, 3_600_000),
  sink: httpUrl(true),
  eppMetricsUrl: str,
  eppTokenFile: str,
  activatorMetricsUrls: httpUrls,
  prometheusUrl: httpUrl(true),
  maxReplicasCap: int(1, 100_000),
  logLevel: oneOf(['debug', 'info', 'warn', 'error']),
  scrape: {
    concurrency: int(1, 10_000),
    timeoutMs: int(50, 60_000),
    maxBodyBytes: int(1024, 256 * 2 ** 20),
    keepAliveMs: int(1_000, 600_000),
  },
  leaderElection: { enabled: bool, namespace: str, name: str },
  metrics: { host: str, port: int(0, 65535) },
};

/** Merge `input` over the defaults, validating every key; unknown keys are errors (a typo must not be ignored). */
export function parseAutoscalerConfig(input: unknown, base = defaultAutoscalerConfig()): AutoscalerConfig {
  return parseWithSchema('autoscaler config', input, base, AUTOSCALER_SCHEMA);
}

export function loadAutoscalerConfig(file: string | undefined): AutoscalerConfig {
  if (!file) return defaultAutoscalerConfig();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`autoscaler config ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new ConfigError(`autoscaler config ${file}: not YAML: ${(err as Error).message}`);
  }
  return parseAutoscalerConfig(doc);
}
