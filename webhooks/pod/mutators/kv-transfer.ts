/**
 * vLLM's `--kv-transfer-config`: NIXL for prefill/decode KV transfer (llm-d.md §3), the OffloadingConnector
 * for CPU (and disk) tiers (llm-d.md §4), or both combined with vLLM's MultiConnector, which fans one
 * engine's KV traffic out to several connectors in order (NIXL first: a remote prefill is cheaper than a
 * reload from CPU when both hold the blocks).
 */
import type { PodContext } from '../context.js';
import { addEnv, addPort, hasArg, mainContainer, type PodMutator } from './types.js';

export function nixlConnector(): Record<string, unknown> {
  return { kv_connector: 'NixlConnector', kv_role: 'kv_both' };
}

export function offloadConnector(ctx: PodContext): Record<string, unknown> | undefined {
  const offload = ctx.settings.kvOffload;
  if (!offload) return undefined;
  const extra: Record<string, unknown> = { cpu_bytes_to_use: offload.cpuBytes };
  if (offload.diskBytes !== undefined) {
    // A local-disk tier below CPU memory (vLLM TieringOffloadingSpec, llm-d kv-offloader.md `fs` tier). The tier's
    // settings become constructor arguments (vllm/v1/kv_offload/tiering/factory.py → FileSystemTierManager: root_dir,
    // n_read_threads, n_write_threads, ...), so an unknown key stops vLLM at start. It takes no size: the tier does
    // not evict (its LRU evictor is marked test-only), and the emptyDir's sizeLimit (volumes.ts) is the bound.
    extra.spec_name = 'TieringOffloadingSpec';
    extra.secondary_tiers = [{ type: 'fs', root_dir: ctx.injection.kvDiskPath }];
  }
  return { kv_connector: 'OffloadingConnector', kv_role: 'kv_both', kv_connector_extra_config: extra };
}

/** The kv-transfer-config for a pod, or undefined when it needs none. */
export function kvTransferConfig(ctx: PodContext): Record<string, unknown> | undefined {
  const connectors = [ctx.disaggregated ? nixlConnector() : undefined, offloadConnector(ctx)].filter(
    (c): c is Record<string, unknown> => c !== undefined,
  );
  if (connectors.length === 0) return undefined;
  if (connectors.length === 1) return connectors[0];
  return { kv_connector: 'MultiConnector', kv_role: 'kv_both', kv_connector_extra_config: { connectors } };
}

export const kvTransferMutator: PodMutator = {
  name: 'kv-transfer',
  wants: (ctx) => kvTransferConfig(ctx) !== undefined,
  needsArgs: true,
  apply(pod, ctx) {
    const main = mainContainer(pod, ctx);
    const config = kvTransferConfig(ctx);
    if (!config) return [];
    const warnings: string[] = [];
    if (hasArg(main, '--kv-transfer-config')) {
      if (!(main.args ?? []).includes(JSON.stringify(config)))
        warnings.push(
          `container ${main.name} already sets --kv-transfer-config; kept as is (wanted ${JSON.stringify(config)})`,
        );
    } else {
      main.args = [...(main.args ?? []), '--kv-transfer-config', JSON.stringify(config)];
    }
    if (ctx.disaggregated) {
      // NIXL's side channel advertises this address to the peer engine (llm-d P/D guides).
      addEnv(main, 'VLLM_NIXL_SIDE_CHANNEL_HOST', { valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
      addEnv(main, 'VLLM_NIXL_SIDE_CHANNEL_PORT', { value: String(ctx.injection.nixlSideChannelPort) });
      addPort(main, ctx.injection.nixlSideChannelPort, 'nixl');
    }
    return warnings;
  },
};
