/**
 * Where the end-to-end suite takes its control plane from. Nothing here starts one: the suite runs against the
 * API server a kubeconfig names (docs/e2e.md says what that control plane must run), and is skipped without it.
 */
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A kube-apiserver + kube-controller-manager (v1.28, SidecarContainers on) + Knative Serving's controller and
 * webhook.
 */
export const KUBECONFIG_ENV = 'KSERVE_LLMD_E2E_KUBECONFIG';
/** Scenario 6: a second API server started without the SidecarContainers feature gate (no Knative needed). */
export const NO_SIDECARS_KUBECONFIG_ENV = 'KSERVE_LLMD_E2E_KUBECONFIG_NO_SIDECARS';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function kubeconfigPath(env = KUBECONFIG_ENV): string | undefined {
  const v = process.env[env];
  return v && v.trim() !== '' ? v : undefined;
}

/** `describe` when the control plane is configured, else `describe.skip` (jest run directly without it). */
export function describeE2E(name: string, fn: () => void): void {
  (kubeconfigPath() ? describe : describe.skip)(name, fn);
}

/**
 * The first non-loopback IPv4 address of this machine. Fake pods get it as their IP: Kubernetes refuses
 * loopback addresses in Endpoints (pkg/apis/core/validation ValidateNonSpecialIP), and Knative's
 * ServerlessService needs ready endpoints. Every fake pod shares it; each serves on its own port
 * (the pod annotation kserve-llmd.io/vllm-port tells the autoscaler which).
 */
export function hostIPv4(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no non-loopback IPv4 address on this machine: the autoscaler scenario needs one');
}
