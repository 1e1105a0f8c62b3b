/**
 * The three patch formats client code sends: JSON merge patch (RFC 7386), JSON patch (RFC 6902, via
 * fast-json-patch with test/move/copy), and a subset of strategic merge patch.
 *
 * Strategic merge subset (documented limitation): maps merge like a merge patch; lists of objects merge by
 * their patchMergeKey for the fields below (containers/env/volumes/... by name, ports by containerPort or
 * port); `$patch: delete` on a list element removes it; other lists are replaced. `$retainKeys`,
 * `$setElementOrder` and `$deleteFromPrimitiveList` are not supported (the server answers 422 if present).
 */
import fjp from 'fast-json-patch';

const { applyPatch } = fjp;

export class PatchError extends Error {}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  try {
    return applyPatch(structuredClone(target), ops as fjp.Operation[], true, false).newDocument;
  } catch (err) {
    throw new PatchError(`JSON patch failed: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** patchMergeKey by field name (k8s.io/api types: `patchMergeKey` struct tags). */
const MERGE_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  ports: ['containerPort', 'port'],
  imagePullSecrets: ['name'],
  conditions: ['type'],
  ownerReferences: ['uid'],
  tolerations: ['key'],
};

function mergeList(field: string, target: unknown[], patch: unknown[]): unknown[] {
  const keys = MERGE_KEYS[field];
  if (!keys || !patch.every(isMap)) return structuredClone(patch);
  const keyOf = (item: Record<string, unknown>): string | undefined => {
    const k = keys.find((name) => item[name] !== undefined);
    return k === undefined ? undefined : `${k}=${JSON.stringify(item[k])}`;
  };
  const out = target.map((t) => structuredClone(t));
  for (const item of patch as Record<string, unknown>[]) {
    const id = keyOf(item);
    const index = out.findIndex((t) => isMap(t) && id !== undefined && keyOf(t) === id);
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = strategicMerge(out[index], item);
    else out.push(strategicMerge(undefined, item));
  }
  return out;
}

export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys' || k.startsWith('$setElementOrder') || k.startsWith('$deleteFromPrimitiveList')) {
      throw new PatchError(`strategic merge directive ${k} is not supported by the fake API server`);
    }
    if (k === '$patch') continue;
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(k, Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v);
    else out[k] = strategicMerge(out[k], v);
  }
  return out;
}
