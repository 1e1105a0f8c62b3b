/**
 * Typed configuration, parsed and validated once. Defaults live here and nowhere else; errors name the
 * allowed range. The webhook's `--config FILE` takes the same keys as YAML (see examples/config.yaml).
 */
import { readFileSync } from 'node:fs';
import {
  ConfigError,
  int,
  matches,
  nonEmpty,
  oneOf,
  optional,
  parseWithSchema,
  pinnedImage,
  port,
  type Schema,
} from './config-schema.js';
import { isRecord } from './types/kube.js';
import { loadBounded } from './yaml-bounded.js';

export type DeploymentMode = 'Knative' | 'Standard' | 'ModelMesh';

export interface InjectionConfig {
  /** llm-d routing sidecar (router `cmd/pd-sidecar`), pinned; KServe's llm-d presets use the same tag. */
  routingSidecarImage: string;
  /**
   * Where vLLM listens on decode pods, behind the sidecar (llm-d's decode layout), passed to the sidecar as
   * `--vllm-port` (its own default is 8001 at llm-d-router v0.9.0, 8200 from v0.10.0).
   */
  vllmPortBehindSidecar: number;
  /** Serving port assumed when a pod declares none (Knative's default user port). */
  fallbackServingPort: number;
  /** NIXL side channel (llm-d P/D guides: containerPort 5600 `nixl`). */
  nixlSideChannelPort: number;
  /** vLLM KV-events ZMQ publisher port (pod-discovery mode of the precise prefix producer, llm-d.md §2). */
  kvEventsPort: number;
  /** Memory-backed /dev/shm for NIXL/UCX (llm-d P/D guides use 20Gi). */
  shmSizeLimit: string;
  /** Mount path of the local-disk KV offload tier. */
  kvDiskPath: string;
  sidecarResources: { cpu: string; memory: string };
}

export interface WebhookConfig {
  host: string;
  port: number;
  /** Plain-HTTP port for /metrics, apart from the admission port (0: any free port). */
  metricsPort: number;
  /** After SIGTERM: seconds to keep serving with readiness 503 while the endpoint removal spreads. */
  drainDelaySeconds: number;
  /** Then: seconds in-flight reviews get to finish before connections are cut. */
  shutdownTimeoutSeconds: number;
  certDir?: string;
  /** KServe's cluster default deployment mode (inferenceservice-config `deploy.defaultDeploymentMode`). */
  defaultDeploymentMode: DeploymentMode;
  /**
   * Request timeout set on the predictor when unset. Buffered requests wait this long for a cold start;
   * Knative caps it at `max-revision-timeout-seconds` (default 600), so 600 is the most a stock cluster accepts.
   */
  requestTimeoutSeconds: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Whether decode pods get the routing sidecar as a native sidecar (init container with `restartPolicy:
   * Always`): `auto` decides from the API server's version at start (≥ 1.29), `true`/`false` decide without
   * asking (`true` for a 1.28 cluster with the SidecarContainers gate on). webhooks/pod/native-sidecars.ts.
   */
  nativeSidecars: 'auto' | 'true' | 'false';
  injection: InjectionConfig;
}

export { ConfigError } from './config-schema.js';

export function defaultWebhookConfig(): WebhookConfig {
  return {
    host: '0.0.0.0',
    port: 8443,
    metricsPort: 8081,
    drainDelaySeconds: 10,
    shutdownTimeoutSeconds: 15,
    defaultDeploymentMode: 'Knative',
    requestTimeoutSeconds: 600,
    logLevel: 'info',
    nativeSidecars: 'auto',
    injection: {
      routingSidecarImage: 'ghcr.io/llm-d/llm-d-router-disagg-sidecar:v0.9.0',
      vllmPortBehindSidecar: 8200,
      fallbackServingPort: 8080,
      nixlSideChannelPort: 5600,
      kvEventsPort: 5557,
      shmSizeLimit: '20Gi',
      kvDiskPath: '/var/cache/kserve-llmd/kv-offload',
      sidecarResources: { cpu: '500m', memory: '512Mi' },
    },
  };
}

const WEBHOOK_SCHEMA: Schema = {
  host: nonEmpty,
  port,
  metricsPort: int(0, 65535),
  drainDelaySeconds: int(0, 120),
  shutdownTimeoutSeconds: int(1, 300),
  certDir: optional(nonEmpty),
  defaultDeploymentMode: oneOf(['Knative', 'Standard', 'ModelMesh']),
  requestTimeoutSeconds: int(1, 3600),
  logLevel: oneOf(['debug', 'info', 'warn', 'error']),
  nativeSidecars: oneOf(['auto', 'true', 'false']),
  injection: {
    routingSidecarImage: pinnedImage,
    vllmPortBehindSidecar: port,
    fallbackServingPort: port,
    nixlSideChannelPort: port,
    kvEventsPort: port,
    shmSizeLimit: nonEmpty,
    kvDiskPath: matches(/^\//, 'an absolute path'),
    sidecarResources: (v) =>
      isRecord(v) && typeof v.cpu === 'string' && typeof v.memory === 'string'
        ? undefined
        : 'must be {cpu, memory} quantities',
  },
};

/** Overlay `raw` (from YAML or flags) on the defaults; unknown keys and bad values are errors. */
export function parseWebhookConfig(raw: unknown, base: WebhookConfig = defaultWebhookConfig()): WebhookConfig {
  // YAML reads `nativeSidecars: true` as a boolean; the setting is one of three words.
  const input =
    isRecord(raw) && typeof raw.nativeSidecars === 'boolean'
      ? { ...raw, nativeSidecars: String(raw.nativeSidecars) }
      : raw;
  return parseWithSchema('config', input, base, WEBHOOK_SCHEMA);
}

export function loadWebhookConfigFile(path: string): WebhookConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = loadBounded(text);
  } catch (err) {
    throw new ConfigError(`config ${path}: not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  return parseWebhookConfig(raw);
}
