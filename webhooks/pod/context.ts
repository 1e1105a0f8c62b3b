/**
 * What the pod webhook decides from: the pod's llm-d labels (set on the predictor by the InferenceService
 * webhook), its `kserve-llmd.io/…` annotations (KServe copies the InferenceService's annotations to the
 * revision template, and Knative to the pod), the main container and the serving port.
 */
import type { InjectionConfig } from '../../src/config.js';
import { LABELS, type Role } from '../../core/names.js';
import type { Container, Pod } from '../../src/types/kube.js';
import { parseAnnotations } from '../../core/annotations/parse.js';
import { defaultSettings, type LlmdSettings } from '../../core/annotations/settings.js';
import { argsBlockedReason, findPortArg } from './command-line.js';

/** What the webhook learned about the cluster at start (webhooks/pod/native-sidecars.ts). */
export interface ClusterFeatures {
  /**
   * Init containers with `restartPolicy: Always` are accepted (Kubernetes ≥ 1.29, or 1.28 with the
   * SidecarContainers gate). Without them the routing sidecar is a regular container.
   */
  nativeSidecars: boolean;
}

export const DEFAULT_CLUSTER: ClusterFeatures = { nativeSidecars: true };

export interface PodContext {
  pool: string;
  model: string;
  role: Role;
  /** Prefill/decode disaggregation is on for this pod (role decode or prefill). */
  disaggregated: boolean;
  settings: LlmdSettings;
  /** Index of vLLM's container in spec.containers: `kserve-container`, else the first. */
  mainIndex: number;
  /** The port Knative's queue-proxy forwards to and the InferencePool targets. */
  servingPort: number;
  /** A reason the main container's arguments cannot be extended (a shell command line), if any. */
  argsBlocked?: string;
  /** Knative's queue-proxy is in the pod (a Knative revision pod, not KServe's Standard mode). */
  queueProxy: boolean;
  cluster: ClusterFeatures;
  injection: InjectionConfig;
  warnings: string[];
}

const ROLES: readonly Role[] = ['decode', 'prefill', 'prefill-decode'];

export function mainContainerIndex(containers: Container[]): number {
  const i = containers.findIndex((c) => c.name === 'kserve-container');
  return i >= 0 ? i : 0;
}

export { findPortArg } from './command-line.js';

function podSettings(pod: Pod, warnings: string[]): LlmdSettings {
  const parsed = parseAnnotations(pod.metadata?.annotations);
  if (!parsed.optedIn) return { ...defaultSettings(), explicit: new Set() };
  if (parsed.errors.length === 0) return parsed.settings;
  warnings.push(`ignored invalid pod annotations (${parsed.errors.join('; ')})`);
  return { ...defaultSettings(), explicit: new Set() };
}

/** The declared port (what queue-proxy forwards to), else vLLM's --port, else Knative's default. */
function servingPortOf(main: Container, fallback: number): number {
  const declared = main.ports?.[0]?.containerPort;
  if (declared !== undefined) return declared;
  const args = main.args;
  const fromArgs =
    Array.isArray(args) && args.every((a) => typeof a === 'string') ? findPortArg(args)?.port : undefined;
  return fromArgs !== undefined && Number.isInteger(fromArgs) ? fromArgs : fallback;
}

export function buildPodContext(
  pod: Pod,
  injection: InjectionConfig,
  cluster: ClusterFeatures = DEFAULT_CLUSTER,
): PodContext | undefined {
  const labels = pod.metadata?.labels ?? {};
  const pool = labels[LABELS.pool];
  const containers = pod.spec?.containers;
  if (!pool || !Array.isArray(containers) || containers.length === 0) return undefined;
  const warnings: string[] = [];
  const roleLabel = labels[LABELS.role] ?? '';
  const role: Role = (ROLES as readonly string[]).includes(roleLabel) ? (roleLabel as Role) : 'prefill-decode';
  const mainIndex = mainContainerIndex(containers);
  const main = containers[mainIndex] as Container;
  return {
    pool,
    model: labels[LABELS.model] ?? pool,
    role,
    disaggregated: role === 'decode' || role === 'prefill',
    settings: podSettings(pod, warnings),
    mainIndex,
    servingPort: servingPortOf(main, injection.fallbackServingPort),
    argsBlocked: argsBlockedReason(main),
    queueProxy: containers.some((c) => c?.name === 'queue-proxy'),
    cluster,
    injection,
    warnings,
  };
}
