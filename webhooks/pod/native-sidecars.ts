/**
 * Whether the API server accepts native sidecars (init containers with `restartPolicy: Always`), decided once
 * at start. Kubernetes v1.28.7: the SidecarContainers gate is alpha and off by default
 * (pkg/features/kube_features.go); with it off the API server drops the field (pkg/api/pod/util.go
 * dropDisabledPodFields) and then rejects the startup/readiness probe of what became a plain init container
 * (pkg/apis/core/validation/validation.go: "may not be set for init containers without restartPolicy=Always"),
 * and a kubelet with the gate off refuses such a pod (pkg/kubelet/lifecycle/predicate.go,
 * InitContainerRestartPolicyForbidden). From 1.29 the gate is beta and on by default (Kubernetes docs, KEP-753;
 * not checked in source here: 1.28.7 is the only tree pinned). A 1.28 server with the gate on cannot be told from
 * one without it, so `nativeSidecars` decides: `auto` (by the server's version), `true` or `false`.
 */

export type NativeSidecarsSetting = 'auto' | 'true' | 'false';
export const NATIVE_SIDECARS_SETTINGS: readonly NativeSidecarsSetting[] = ['auto', 'true', 'false'];

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

/** /version's Info (k8s.io/apimachinery pkg/version/types.go); managed clusters report minor as e.g. "29+". */
export function parseServerVersion(info: unknown): ServerVersion | undefined {
  if (typeof info !== 'object' || info === null) return undefined;
  const { major, minor, gitVersion } = info as Record<string, unknown>;
  const num = (v: unknown): number => (typeof v === 'string' ? Number(/^\d+/.exec(v)?.[0] ?? NaN) : NaN);
  const [ma, mi] = [num(major), num(minor)];
  if (!Number.isInteger(ma) || !Number.isInteger(mi)) return undefined;
  return { major: ma, minor: mi, gitVersion: typeof gitVersion === 'string' ? gitVersion : `v${ma}.${mi}` };
}

export interface NativeSidecarsDecision {
  native: boolean;
  /** One sentence for the start-up log. */
  reason: string;
  /** The decision rests on a fallback or a version where the setting should be checked: log it as a warning. */
  warn: boolean;
}

const REGULAR = 'decode pods get the routing sidecar as a regular container';

/** The decision for a setting and what discovery found (a version, or why there is none). */
export function decideNativeSidecars(
  setting: NativeSidecarsSetting,
  discovered: { version?: ServerVersion; error?: string } = {},
): NativeSidecarsDecision {
  if (setting === 'true') return { native: true, reason: 'nativeSidecars: true (configured)', warn: false };
  if (setting === 'false')
    return { native: false, reason: `nativeSidecars: false (configured): ${REGULAR}`, warn: false };
  const v = discovered.version;
  if (!v)
    return {
      native: false,
      reason:
        `nativeSidecars: auto, but the API server's version is unknown (${discovered.error ?? 'not discovered'}): ` +
        `${REGULAR}, which every Kubernetes version accepts; set nativeSidecars to decide`,
      warn: true,
    };
  const at = `Kubernetes ${v.gitVersion}`;
  if (v.major > 1 || v.minor >= 29)
    return { native: true, reason: `nativeSidecars: auto: ${at} has native sidecars on by default`, warn: false };
  if (v.minor === 28)
    return {
      native: false,
      reason:
        `nativeSidecars: auto: ${at} has native sidecars only with the SidecarContainers feature gate, which ` +
        `cannot be discovered: ${REGULAR}; set nativeSidecars: true if the gate is on (API server and every kubelet)`,
      warn: true,
    };
  return { native: false, reason: `nativeSidecars: auto: ${at} has no native sidecars: ${REGULAR}`, warn: true };
}

/**
 * Ask the API server for its version (GET /version), a few times with a pause between tries. Resolves with the
 * version or the last error's message; never rejects.
 */
export async function discoverServerVersion(
  getVersion: () => Promise<unknown>,
  opts: { attempts?: number; delayMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<{ version?: ServerVersion; error?: string }> {
  const attempts = opts.attempts ?? 3;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let error = 'no attempt made';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(opts.delayMs ?? 1000);
    try {
      const info = await getVersion();
      const version = parseServerVersion(info);
      if (version) return { version };
      error = `GET /version answered ${JSON.stringify(info)?.slice(0, 120)}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
  }
  return { error };
}
