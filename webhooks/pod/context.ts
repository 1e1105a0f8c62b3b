/**
 * What the pod webhook decides from: the pod's llm-d labels (set on the predictor by the InferenceService
 * webhook), its `kserve-llmd.io/…` annotations (KServe copies the InferenceService's annotations to the
 * revision template, and Knative to the pod), the main container and the serving port.
 */
import type { InjectionConfig } from '../../src/config.js';
import { LABELS, type Role } from '../../src/names.js';
import type { Container, Pod } from '../../src/types/kube.js';
import { parseAnnotations } from '../annotations/parse.js';
import { defaultSettings, type LlmdSettings } from '../annotations/settings.js';

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
  injection: InjectionConfig;
  warnings: string[];
}

const ROLES: readonly Role[] = ['decode', 'prefill', 'prefill-decode'];

export function mainContainerIndex(containers: Container[]): number {
  const i = containers.findIndex((c) => c.name === 'kserve-container');
  return i >= 0 ? i : 0;
}

/** vLLM's `--port N` / `--port=N` in an argument list, with its position. */
export function findPortArg(args: string[]): { index: number; width: 1 | 2; port: number } | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith('--port=')) return { index: i, width: 1, port: Number(a.slice(7)) };
    if (a === '--port' && i + 1 < args.length) return { index: i, width: 2, port: Number(args[i + 1]) };
  }
  return undefined;
}

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
  const fromArgs = findPortArg(main.args ?? [])?.port;
  return fromArgs !== undefined && Number.isInteger(fromArgs) ? fromArgs : fallback;
}

function shellBlocked(main: Container): string | undefined {
  const command = main.command ?? [];
  const shell = /(^|\/)(ba|da|z)?sh$/.test(command[0] ?? '') && command.includes('-c');
  return shell
    ? `container ${main.name} runs a shell command line (${command.join(' ')}), so vLLM flags cannot be appended`
    : undefined;
}

export function buildPodContext(pod: Pod, injection: InjectionConfig): PodContext | undefined {
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
    argsBlocked: shellBlocked(main),
    injection,
    warnings,
  };
}
