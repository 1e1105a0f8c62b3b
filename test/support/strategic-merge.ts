/**
 * Kubernetes strategic merge patch (k8s.io/apimachinery pkg/util/strategicpatch) for PodSpec and Container,
 * driven by the merge keys the v1.28 OpenAPI declares (x-kubernetes-patch-merge-key / -strategy, the same
 * struct tags strategicpatch reads): maps merge recursively, lists with a merge key merge element by element
 * (matched elements merged in place, new ones appended), other lists and scalars are replaced, null deletes.
 * `retainKeys` (volumes) keeps only the keys the patch element names. Directives ($patch, $setElementOrder,
 * $retainKeys, $deleteFromPrimitiveList) are not supported: KServe merges plain objects.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = any;
type Schema = Record<string, any>;

const file = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'schemas',
  'openapi',
  'v1.28',
  'api_v1.json',
);
let schemas: Record<string, Schema> | undefined;

function named(name: string): Schema {
  schemas ??= JSON.parse(readFileSync(file, 'utf8')).components.schemas as Record<string, Schema>;
  const s = schemas[`io.k8s.api.core.v1.${name}`];
  if (!s) throw new Error(`no schema io.k8s.api.core.v1.${name} in ${file}`);
  return s;
}

/** A property schema with its $ref/allOf resolved. */
function resolve(s: Schema | undefined): Schema | undefined {
  if (!s) return undefined;
  const ref = s.$ref ?? s.allOf?.[0]?.$ref;
  if (typeof ref !== 'string') return s;
  return { ...named(ref.replace('#/components/schemas/io.k8s.api.core.v1.', '')), ...s };
}

const isMap = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function mergeValue(original: Json, patch: Json, schema: Schema | undefined): Json {
  if (patch === null) return undefined;
  if (Array.isArray(patch)) return mergeList(original, patch, schema);
  if (isMap(patch) && isMap(original)) return mergeMap(original, patch, resolve(schema));
  return structuredClone(patch);
}

function mergeMap(original: Record<string, Json>, patch: Record<string, Json>, schema: Schema | undefined): Json {
  const out: Record<string, Json> = structuredClone(original);
  for (const [k, v] of Object.entries(patch)) {
    const prop = schema?.properties?.[k] ?? schema?.additionalProperties;
    const merged = mergeValue(out[k], v, typeof prop === 'object' ? prop : undefined);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

function mergeList(original: Json, patch: Json[], schema: Schema | undefined): Json[] {
  const key = schema?.['x-kubernetes-patch-merge-key'] as string | undefined;
  const strategy = String(schema?.['x-kubernetes-patch-strategy'] ?? '');
  if (!key || !strategy.split(',').includes('merge') || !Array.isArray(original)) return structuredClone(patch);
  const items = resolve(schema?.items);
  const out: Json[] = structuredClone(original);
  for (const p of patch) {
    const i = out.findIndex((o) => isMap(o) && isMap(p) && o[key] === p[key]);
    if (i < 0) {
      out.push(structuredClone(p));
      continue;
    }
    let merged = mergeValue(out[i], p, items);
    if (strategy.includes('retainKeys') && isMap(merged))
      merged = Object.fromEntries(Object.entries(merged).filter(([k]) => k in p));
    out[i] = merged;
  }
  return out;
}

/** strategicpatch.StrategicMergePatch(original, patch, corev1.<kind>{}). */
export function strategicMerge(kind: 'PodSpec' | 'Container', original: Json, patch: Json): Json {
  return mergeValue(original ?? {}, patch ?? {}, named(kind)) ?? {};
}

/** The property names of a core/v1 kind (PodSpec: which predictor fields are pod fields). */
export function propertiesOf(kind: 'PodSpec' | 'Container'): string[] {
  return Object.keys(named(kind).properties ?? {});
}
