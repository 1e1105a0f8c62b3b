/**
 * Typed configuration, parsed and validated once. Defaults live here and nowhere else; errors name the
 * allowed range. The webhook's `--config FILE` takes the same keys as YAML (see examples/config.yaml).
 */
import { readFileSync } from 'node:fs';
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

export class ConfigError extends Error {}

type Check = (value: unknown) => string | undefined;

const port: Check = (v) =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535 ? undefined : 'must be an integer in [1, 65535]';
const nonEmpty: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'must be a non-empty string');
const pinnedImage: Check = (v) =>
  typeof v === 'string' &&
  /^[^\s:]+(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/.test(v) &&
  !v.endsWith(':latest') &&
  /[:@]/.test(v.split('/').pop() ?? '')
    ? undefined
    : 'must be an image with a pinned tag or digest (not :latest)';
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.join(', ')}`;
const intRange =
  (min: number, max: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? undefined
      : `must be an integer in [${min}, ${max}]`;

const TOP_CHECKS: Record<string, Check> = {
  host: nonEmpty,
  port,
  metricsPort: intRange(0, 65535),
  drainDelaySeconds: intRange(0, 120),
  shutdownTimeoutSeconds: intRange(1, 300),
  certDir: nonEmpty,
  defaultDeploymentMode: oneOf(['Knative', 'Standard', 'ModelMesh']),
  requestTimeoutSeconds: intRange(1, 3600),
  logLevel: oneOf(['debug', 'info', 'warn', 'error']),
  nativeSidecars: oneOf(['auto', 'true', 'false']),
};
const INJECTION_CHECKS: Record<string, Check> = {
  routingSidecarImage: pinnedImage,
  vllmPortBehindSidecar: port,
  fallbackServingPort: port,
  nixlSideChannelPort: port,
  kvEventsPort: port,
  shmSizeLimit: nonEmpty,
  kvDiskPath: (v) => (typeof v === 'string' && v.startsWith('/') ? undefined : 'must be an absolute path'),
  sidecarResources: (v) =>
    isRecord(v) && typeof v.cpu === 'string' && typeof v.memory === 'string'
      ? undefined
      : 'must be {cpu, memory} quantities',
};

/** Overlay `raw` (from YAML or flags) on the defaults; unknown keys and bad values are errors. */
export function parseWebhookConfig(raw: unknown, base: WebhookConfig = defaultWebhookConfig()): WebhookConfig {
  if (raw === undefined || raw === null) return validate(base);
  if (!isRecord(raw)) throw new ConfigError('config: must be a mapping');
  const merged: WebhookConfig = { ...base, injection: { ...base.injection } };
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'injection') {
      if (!isRecord(value)) throw new ConfigError('config injection: must be a mapping');
      for (const [k, v] of Object.entries(value)) {
        if (!(k in INJECTION_CHECKS))
          throw new ConfigError(
            `config injection.${k}: unknown key; known: ${Object.keys(INJECTION_CHECKS).join(', ')}`,
          );
        (merged.injection as unknown as Record<string, unknown>)[k] = v;
      }
    } else if (key in TOP_CHECKS) {
      // YAML reads `nativeSidecars: true` as a boolean; the setting is one of three words.
      (merged as unknown as Record<string, unknown>)[key] =
        key === 'nativeSidecars' && typeof value === 'boolean' ? String(value) : value;
    } else {
      throw new ConfigError(
        `config ${key}: unknown key; known: ${[...Object.keys(TOP_CHECKS), 'injection'].join(', ')}`,
      );
    }
  }
  return validate(merged);
}

function validate(config: WebhookConfig): WebhookConfig {
  for (const [key, check] of Object.entries(TOP_CHECKS)) {
    const value = (config as unknown as Record<string, unknown>)[key];
    if (value === undefined && key === 'certDir') continue;
    const problem = check(value);
    if (problem) throw new ConfigError(`config ${key}=${JSON.stringify(value)}: ${problem}`);
  }
  for (const [key, check] of Object.entries(INJECTION_CHECKS)) {
    const value = (config.injection as unknown as Record<string, unknown>)[key];
    const problem = check(value);
    if (problem) throw new ConfigError(`config injection.${key}=${JSON.stringify(value)}: ${problem}`);
  }
  return config;
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
