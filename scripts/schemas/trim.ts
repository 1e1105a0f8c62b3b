/**
 * Trimming upstream schema files to what the project validates against, as pure functions over parsed data:
 * CRDs keep only the listed versions, OpenAPI documents only the listed kinds and the schemas they reference,
 * and both lose their `description`s (most of their bytes; validation never reads them).
 */
import yaml from 'js-yaml';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy without `description` strings, except where `description` is a field name (a key of a `properties`
 * map, e.g. a CRD field called description), which is kept.
 */
export function stripDescriptions(node: unknown, isPropertiesMap = false): unknown {
  if (Array.isArray(node)) return node.map((v) => stripDescriptions(v));
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (!isPropertiesMap && k === 'description' && typeof v === 'string') continue;
    out[k] = stripDescriptions(v, !isPropertiesMap && k === 'properties');
  }
  return out;
}

export class TrimError extends Error {}

/** One CRD document trimmed to `versions` (each must exist and be served). */
export function trimCrd(text: string, versions: string[], label: string): string {
  const docs = yaml.loadAll(text).filter(isObject);
  const crds = docs.filter((d) => d['kind'] === 'CustomResourceDefinition');
  if (crds.length !== 1) throw new TrimError(`${label}: expected one CustomResourceDefinition, found ${crds.length}`);
  const crd = crds[0] as Json;
  const spec = isObject(crd['spec']) ? crd['spec'] : {};
  const all = Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : [];
  for (const v of versions) {
    const found = all.find((x) => x['name'] === v);
    if (!found) throw new TrimError(`${label}: version ${v} not found (has ${all.map((x) => x['name']).join(', ')})`);
    if (found['served'] === false) throw new TrimError(`${label}: version ${v} is not served`);
  }
  const kept = { ...crd, spec: { ...spec, versions: all.filter((x) => versions.includes(String(x['name']))) } };
  return yaml.dump(stripDescriptions(kept), { lineWidth: -1, noRefs: true, sortKeys: false });
}

const REF_PREFIX = '#/components/schemas/';

function refsIn(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) node.forEach((v) => refsIn(v, out));
  else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX)) out.add(v.slice(REF_PREFIX.length));
      else refsIn(v, out);
    }
  }
}

function declaresKind(schema: unknown, kind: string): boolean {
  const gvks = isObject(schema) ? schema['x-kubernetes-group-version-kind'] : undefined;
  return Array.isArray(gvks) && gvks.some((g) => isObject(g) && g['kind'] === kind);
}

/** An OpenAPI v3 document trimmed to the schemas of `kinds` and everything they reference. */
export function trimOpenApi(doc: unknown, kinds: string[], label: string): Json {
  const components = isObject(doc) && isObject(doc['components']) ? doc['components'] : {};
  const schemas = isObject(components['schemas']) ? components['schemas'] : {};
  const queue: string[] = [];
  for (const kind of kinds) {
    const roots = Object.keys(schemas).filter((name) => declaresKind(schemas[name], kind));
    if (roots.length === 0) throw new TrimError(`${label}: no schema declares kind ${kind}`);
    queue.push(...roots);
  }
  const keep = new Set<string>();
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (keep.has(name)) continue;
    if (!(name in schemas)) throw new TrimError(`${label}: ${name} is referenced but not defined`);
    keep.add(name);
    const refs = new Set<string>();
    refsIn(schemas[name], refs);
    queue.push(...refs);
  }
  const kept: Json = {};
  for (const name of [...keep].sort()) kept[name] = stripDescriptions(schemas[name]);
  const head = isObject(doc) ? { openapi: doc['openapi'], info: doc['info'] } : {};
  return { ...head, components: { schemas: kept } };
}
