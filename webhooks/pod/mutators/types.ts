import type { Container, Pod } from '../../../src/types/kube.js';
import type { PodContext } from '../context.js';

/**
 * One concern of the pod wiring. `apply` changes the draft pod (a clone owned by the pipeline) and returns
 * warnings. It must be idempotent: a second run over its own output changes nothing (reinvocationPolicy
 * IfNeeded runs the webhook again after other webhooks).
 */
export interface PodMutator {
  name: string;
  /** Whether this pod gets the feature at all (also listed in the `kserve-llmd.io/injected` annotation). */
  wants(ctx: PodContext): boolean;
  /**
   * The feature works through vLLM's command line (flags, its port), so it is skipped as a whole when the
   * pipeline cannot extend that command line (a shell entrypoint): half of it would leave the pod inconsistent.
   */
  needsArgs: boolean;
  apply(pod: Pod & { spec: { containers: Container[] } }, ctx: PodContext): string[];
}

export function mainContainer(pod: { spec: { containers: Container[] } }, ctx: PodContext): Container {
  return pod.spec.containers[ctx.mainIndex] as Container;
}

export function hasArg(container: Container, flag: string): boolean {
  const alt = flag.replace(/-/g, '_').replace(/^__/, '--');
  return (container.args ?? []).some(
    (a) => a === flag || a.startsWith(`${flag}=`) || a === alt || a.startsWith(`${alt}=`),
  );
}

export function addEnv(container: Container, name: string, entry: Record<string, unknown>): void {
  container.env ??= [];
  if (container.env.some((e) => e.name === name)) return;
  container.env.push({ name, ...entry });
}

export function addPort(container: Container, containerPort: number, name: string): void {
  container.ports ??= [];
  if (container.ports.some((p) => p.containerPort === containerPort || p.name === name)) return;
  container.ports.push({ containerPort, name, protocol: 'TCP' });
}
