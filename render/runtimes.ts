/**
 * The kserve-llmd ClusterServingRuntimes as `kubectl apply -k serving-runtimes/` creates them, for `render`'s
 * pod preview: each accelerator's kustomization is its base resources, its JSON 6902 patch, its name suffix and
 * its image, applied in kustomize's order (patches → nameSuffix → images). Only that subset is read; a
 * kustomization that uses anything else is an error naming the key, never silently half-applied. The tests
 * check the result against a full kustomize emulation (test/support/kustomize.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import yaml from 'js-yaml';
import { isRecord } from '../src/types/kube.js';

export interface ServingRuntime {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; [k: string]: unknown };
  spec: Record<string, unknown> & { containers: Array<Record<string, unknown>> };
}

/** Runtime name → runtime. */
export type RuntimeCatalog = ReadonlyMap<string, ServingRuntime>;

/**
 * serving-runtimes/ relative to this module: the repository's from the TypeScript sources, `dist/serving-runtimes/`
 * in the image (the Dockerfile copies it there), the repository's again from a checkout's compiled dist/.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CANDIDATES = [path.resolve(HERE, '..', 'serving-runtimes'), path.resolve(HERE, '..', '..', 'serving-runtimes')];
export const DEFAULT_RUNTIMES_DIR =
  CANDIDATES.find((d) => existsSync(path.join(d, 'kustomization.yaml'))) ?? (CANDIDATES[0] as string);

const KNOWN = new Set(['apiVersion', 'kind', 'resources', 'nameSuffix', 'images', 'patches']);

function readYaml(file: string): unknown[] {
  return yaml.loadAll(readFileSync(file, 'utf8')).filter((d) => d !== null && d !== undefined);
}

function kustomization(dir: string): Record<string, unknown> {
  const file = path.join(dir, 'kustomization.yaml');
  const [k] = readYaml(file);
  if (!isRecord(k)) throw new Error(`${file}: not a kustomization`);
  const unknown = Object.keys(k).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) throw new Error(`${file}: ${unknown.join(', ')} is not supported by render's runtime reader`);
  return k;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function applyPatches(dir: string, k: Record<string, unknown>, objects: ServingRuntime[]): ServingRuntime[] {
  let out = objects;
  for (const p of Array.isArray(k.patches) ? k.patches : []) {
    const kind = isRecord(p) && isRecord(p.target) ? p.target.kind : undefined;
    if (!isRecord(p) || typeof p.path !== 'string' || typeof kind !== 'string')
      throw new Error(`${dir}/kustomization.yaml: each patch needs a target kind and a path`);
    const ops = yaml.load(readFileSync(path.resolve(dir, p.path), 'utf8')) as Operation[];
    out = out.map((o) =>
      o.kind === kind
        ? (fastJsonPatch.applyPatch(structuredClone(o), ops, true, false).newDocument as ServingRuntime)
        : o,
    );
  }
  return out;
}

function applyImages(k: Record<string, unknown>, objects: ServingRuntime[]): void {
  for (const image of Array.isArray(k.images) ? k.images : []) {
    if (!isRecord(image) || typeof image.name !== 'string') continue;
    const name = typeof image.newName === 'string' ? image.newName : image.name;
    const tag = typeof image.newTag === 'string' ? `:${image.newTag}` : '';
    const digest = typeof image.digest === 'string' ? `@${image.digest}` : '';
    for (const o of objects)
      for (const c of o.spec.containers) if (c.image === image.name) c.image = name + tag + digest;
  }
}

/** The objects a kustomization directory produces. */
function build(dir: string): ServingRuntime[] {
  const k = kustomization(dir);
  const resources = strings(k.resources).flatMap((r) => {
    const target = path.resolve(dir, r);
    return existsSync(path.join(target, 'kustomization.yaml')) ? build(target) : (readYaml(target) as ServingRuntime[]);
  });
  let objects = applyPatches(dir, k, resources);
  if (typeof k.nameSuffix === 'string')
    objects = objects.map((o) => ({ ...o, metadata: { ...o.metadata, name: `${o.metadata.name}${k.nameSuffix}` } }));
  applyImages(k, objects);
  return objects;
}

/** Every runtime `serving-runtimes/kustomization.yaml` installs, by name. */
export function loadServingRuntimes(dir = DEFAULT_RUNTIMES_DIR): RuntimeCatalog {
  try {
    return new Map(build(dir).map((r) => [r.metadata.name, r]));
  } catch (err) {
    throw new Error(`cannot read the serving runtimes in ${dir}: ${(err as Error).message}`, { cause: err });
  }
}
