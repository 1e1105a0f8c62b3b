/**
 * Volumes: a memory-backed /dev/shm for NIXL/UCX on P/D pods (container runtimes default to 64 MiB), and
 * a node-local disk for the KV offload disk tier. Skipped when the pod already mounts the path.
 */
import type { Container, Pod } from '../../../src/types/kube.js';
import { mainContainer, type PodMutator } from './types.js';

function mount(
  pod: Pod & { spec: { containers: Container[] } },
  main: Container,
  name: string,
  path: string,
  source: Record<string, unknown>,
): void {
  if ((main.volumeMounts ?? []).some((m) => m.mountPath === path)) return;
  const volumes = pod.spec.volumes ?? [];
  if (!volumes.some((v) => v.name === name)) pod.spec.volumes = [...volumes, { name, ...source }];
  main.volumeMounts = [...(main.volumeMounts ?? []), { name, mountPath: path }];
}

export const shmMutator: PodMutator = {
  name: 'shm',
  wants: (ctx) => ctx.disaggregated,
  // Useful to NCCL/UCX whatever the command line, and changes nothing vLLM is told.
  needsArgs: false,
  apply(pod, ctx) {
    mount(pod, mainContainer(pod, ctx), 'kserve-llmd-shm', '/dev/shm', {
      emptyDir: { medium: 'Memory', sizeLimit: ctx.injection.shmSizeLimit },
    });
    return [];
  },
};

export const kvDiskMutator: PodMutator = {
  name: 'kv-offload-disk',
  wants: (ctx) => ctx.settings.kvOffload?.disk !== undefined,
  // Only vLLM's --kv-transfer-config (kv-transfer.ts) makes use of this volume.
  needsArgs: true,
  apply(pod, ctx) {
    const disk = ctx.settings.kvOffload?.disk;
    if (disk === undefined) return [];
    mount(pod, mainContainer(pod, ctx), 'kserve-llmd-kv-offload', ctx.injection.kvDiskPath, {
      emptyDir: { sizeLimit: disk },
    });
    return [];
  },
};
