/**
 * The controller's typed configuration: defaults in one place (defaultControllerConfig), every value
 * checked once with an error naming the allowed range. Flags of `kserve-llmd controller` overlay it.
 */
import {
  ConfigError,
  duration,
  httpUrl,
  int,
  matches,
  oneOf,
  optional,
  parseDurationMs,
  pinnedImage,
  validateWithSchema,
  type Schema,
} from '../src/config-schema.js';
import { defaultWebhookConfig, type WebhookConfig } from '../src/config.js';
import { isRecord } from '../src/types/kube.js';
import { INSTALL_NAMESPACE } from '../core/names.js';

export type FailureMode = 'FailOpen' | 'FailClose';

/**
 * The Gateway implementation in front of the endpoint pickers. At llm-d-router v0.9.0 the EPP serves its
 * ext_proc gRPC with TLS (a self-signed certificate: `--secure-serving` defaults to true, pkg/epp/server/
 * options.go), so the gateway must dial it with TLS and skip verification, or every call fails and FailOpen
 * silently turns routing random. What each implementation needs comes from upstream's router chart at v0.9.0
 * (config/charts/llm-d-router-gateway/templates/{istio,gke}.yaml, `provider.name`: none | istio | gke):
 * - `istio`: a DestinationRule per EPP Service with `tls: {mode: SIMPLE, insecureSkipVerify: true}`;
 * - `gke`: a HealthCheckPolicy and a GCPBackendPolicy on each InferencePool (the GKE gateway dials the EPP
 *   with TLS itself);
 * - `kgateway`, `agentgateway`, `none`: nothing (they dial the EPP over TLS without verification themselves;
 *   the chart's default provider is `none`).
 * See GATEWAY_IMPLEMENTATIONS for the objects; docs/install.md has the matrix.
 */
export const GATEWAY_IMPLEMENTATIONS = ['none', 'istio', 'gke', 'kgateway', 'agentgateway'] as const;
export type GatewayImplementation = (typeof GATEWAY_IMPLEMENTATIONS)[number];

export interface ControllerConfig {
  /** Watch one namespace; undefined = all namespaces. */
  namespace?: string;
  /** NAMESPACE/NAME of the Gateway used when a service names none (kserve-llmd.io/gateway wins). */
  defaultGateway?: { namespace: string; name: string };
  /** Which gateway dials the endpoint pickers (above); default `none`, as upstream's chart. */
  gatewayImplementation: GatewayImplementation;
  /** Cluster DNS domain for fully qualified Service hosts (Istio DestinationRule; the router chart's clusterDomain). */
  clusterDomain: string;
  /** The llm-d router EPP, pinned (KServe v0.20's llm-d presets use v0.9.0; kserve-knative.md §3). */
  eppImage: string;
  /**
   * What the gateway does when the EPP is unreachable. FailOpen: it picks a pool endpoint itself, so a
   * broken or restarting picker degrades routing quality instead of failing every request (llm-d's charts
   * and KServe's scheduler preset choose FailOpen; the InferencePool API default is FailClose).
   */
  eppFailureMode: FailureMode;
  eppResources: { cpu: string; memory: string };
  /**
   * Prefill is used when at least this many prompt tokens are not in the chosen decode pod's prefix cache
   * (prefix-based-pd-decider `nonCachedTokens`; 0 would mean never; llm-d examples use 8–16).
   */
  pdNonCachedTokens: number;
  /** Bytes of KV cache per block for sizing the CPU-tier LRU (llm-d tiered guide: 82,000 blocks ≈ 200 GB). */
  kvBytesPerBlock: number;
  resyncPeriodMs: number;
  workers: number;
  leaderElection: boolean;
  leaseNamespace: string;
  metricsPort: number;
  metricsHost: string;
  cloudEventsSink?: string;
  requestTimeoutMs: number;
  /** The webhook's config: the prefill sibling is built by the webhook's own mutation, with the same settings. */
  webhook: WebhookConfig;
}

export function defaultControllerConfig(): ControllerConfig {
  return {
    gatewayImplementation: 'none',
    clusterDomain: 'cluster.local',
    eppImage: 'ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.9.0',
    eppFailureMode: 'FailOpen',
    eppResources: { cpu: '500m', memory: '1Gi' },
    pdNonCachedTokens: 16,
    kvBytesPerBlock: Math.round(200e9 / 82_000),
    resyncPeriodMs: 10 * 60_000,
    workers: 8,
    leaderElection: true,
    leaseNamespace: INSTALL_NAMESPACE,
    metricsPort: 8080,
    metricsHost: '0.0.0.0',
    requestTimeoutMs: 10_000,
    webhook: defaultWebhookConfig(),
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Keyed as the flags name them (resync-period as a duration, gateway as NAMESPACE/NAME). */
const CONTROLLER_SCHEMA: Schema = {
  namespace: optional(matches(DNS_LABEL, 'a namespace name (DNS label)')),
  eppImage: pinnedImage,
  gatewayImplementation: oneOf(GATEWAY_IMPLEMENTATIONS),
  clusterDomain: (v) =>
    typeof v === 'string' && DNS_SUBDOMAIN.test(v) && v.length <= 253
      ? undefined
      : 'must be a DNS domain such as cluster.local',
  eppFailureMode: oneOf(['FailOpen', 'FailClose'], 'FailOpen or FailClose'),
  pdNonCachedTokens: int(1, 1_000_000),
  kvBytesPerBlock: int(1024, Infinity),
  resyncPeriod: duration(10_000, 86_400_000),
  workers: int(1, 64),
  metricsPort: int(0, 65535, '0 = any free port'),
  requestTimeoutMs: int(100, 120_000),
  cloudEventsSink: optional(httpUrl()),
  gateway: optional((v) =>
    isRecord(v) && typeof v.namespace === 'string' && DNS_LABEL.test(v.namespace) && v.name !== ''
      ? undefined
      : 'must be NAMESPACE/NAME',
  ),
};

/** Check a config; returns it or throws one ConfigError naming every bad value and its range. */
export function validateControllerConfig(c: ControllerConfig): ControllerConfig {
  const { resyncPeriodMs, defaultGateway, ...rest } = c;
  validateWithSchema(
    'controller',
    { ...rest, resyncPeriod: `${resyncPeriodMs}ms`, gateway: defaultGateway },
    CONTROLLER_SCHEMA,
  );
  return c;
}

/** "ns/name" → {namespace, name}, for --gateway. */
export function parseGatewayRef(text: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = text.split('/');
  if (!namespace || !name || rest.length > 0)
    throw new ConfigError(`controller gateway=${JSON.stringify(text)}: must be NAMESPACE/NAME`);
  return { namespace, name };
}

/** "30s", "10m", "1h" (Go-style durations) → ms. */
export function parsePeriod(text: string, key: string): number {
  const ms = parseDurationMs(text.trim());
  if (ms === undefined)
    throw new ConfigError(`controller ${key}=${JSON.stringify(text)}: must be a duration like 30s, 10m or 1h`);
  return ms;
}
