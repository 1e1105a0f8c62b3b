/**
 * How the roles of one pool see each other: the inputs one role's decision takes from the other role's
 * windows, and the order of the two decisions. Pure; used by the cluster loop (autoscaler/loop), the local
 * stack (local/loop.ts) and the benchmark's adapter (bench/sim/policies/ours.ts), so all three decide alike.
 */
import { decide } from './index.js';
import { startingState } from './state.js';
import type { Decision, DeciderSpec, DeciderState, RoleWindows, WindowAggregate } from './types.js';

/**
 * Prefill at zero sees the pool's prompt traffic through decode (which prefills locally meanwhile), so it can
 * tell when long prompts make waking it worthwhile (decider/types.ts: promptTokensRate is pool-wide for prefill).
 */
export function withPoolPrompts(prefill: RoleWindows, decode: RoleWindows[]): RoleWindows {
  if (prefill.readyPods > 0 || decode.length === 0) return prefill;
  const merge = (own: WindowAggregate, pick: (w: RoleWindows) => WindowAggregate): WindowAggregate => {
    const ds = decode.map(pick).filter((a) => a.samples > 0);
    if (ds.length === 0) return own;
    return {
      ...own,
      samples: Math.max(...ds.map((a) => a.samples)),
      promptTokensRate: ds.reduce((s, a) => s + a.promptTokensRate, 0),
      arrivalRate: ds.reduce((s, a) => s + a.arrivalRate, 0),
    };
  };
  return { ...prefill, stable: merge(prefill.stable, (w) => w.stable), panic: merge(prefill.panic, (w) => w.panic) };
}

/**
 * Decode in P/D sees what its pool's prefill role prefilled (decider/types.ts RoleWindows.remotePrefill):
 * the prefill targets' stable-window prompt tokens/s and requests/s, summed. With several decode targets in
 * the pool, each gets the share of its own counted prompt tokens (the router sends a prompt to prefill for
 * the decode pod it picked). Unchanged when no prefill target has data (aggregated, or prefill at zero):
 * then decode prefills everything itself.
 */
export function withRemotePrefill(
  decode: RoleWindows,
  prefill: RoleWindows[],
  poolDecode: RoleWindows[] = [decode],
): RoleWindows {
  const ps = prefill.filter((p) => p.readyPods > 0 && p.stable.samples > 0);
  if (ps.length === 0) return decode;
  const poolPrompts = poolDecode.reduce((s, d) => s + d.stable.promptTokensRate, 0);
  const share = poolPrompts > 0 ? decode.stable.promptTokensRate / poolPrompts : 1 / Math.max(1, poolDecode.length);
  return {
    ...decode,
    remotePrefill: {
      promptTokensRate: share * ps.reduce((s, p) => s + p.stable.promptTokensRate, 0),
      requestRate: share * ps.reduce((s, p) => s + p.stable.arrivalRate, 0),
    },
  };
}

/**
 * One pool, both roles, in the right order, with the inputs each role needs from the other: decode first,
 * seeing what prefill prefilled (withRemotePrefill), then prefill with the pool's prompts (withPoolPrompts)
 * and decode's decision and Ready pods as its peer (decode at zero takes prefill with it; with long prompts
 * prefill wakes once decode has a Ready pod, zero.ts decodeReadyFirst). Pass each role's own windows.
 * Loop.decideAll does the same for pools of several targets.
 */
export function decidePool(
  roles: { decode: { spec: DeciderSpec; windows: RoleWindows }; prefill?: { spec: DeciderSpec; windows: RoleWindows } },
  nowMs: number,
  states: { decode?: DeciderState; prefill?: DeciderState } = {},
): { decode: Decision; prefill?: Decision } {
  const own = roles.decode.windows;
  const starting = (w: RoleWindows): DeciderState => startingState(nowMs, w.readyPods + w.startingPods);
  const decode = decide(
    roles.decode.spec,
    roles.prefill ? withRemotePrefill(own, [roles.prefill.windows]) : own,
    nowMs,
    states.decode ?? starting(own),
  );
  if (!roles.prefill) return { decode };
  const peer = { desired: decode.desired, ready: own.readyPods };
  const prefill = decide(
    roles.prefill.spec,
    { ...withPoolPrompts(roles.prefill.windows, [own]), peer },
    nowMs,
    states.prefill ?? starting(roles.prefill.windows),
  );
  return { decode, prefill };
}
