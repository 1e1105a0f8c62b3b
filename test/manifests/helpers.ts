/** Shared for the manifest tests: the repo root, rendered kustomizations (cached) and container walkers. */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kustomizeBuild, type KObject } from '../support/kustomize.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repo = (...parts: string[]): string => path.join(repoRoot, ...parts);

const cache = new Map<string, KObject[]>();
/** `kustomize build <dir>` (relative to the repo), deep-copied so tests cannot disturb each other. */
export function build(dir: string): KObject[] {
  if (!cache.has(dir)) cache.set(dir, kustomizeBuild(repo(dir)));
  return structuredClone(cache.get(dir)!);
}

export const find = (objs: KObject[], kind: string, name?: string): KObject[] =>
  objs.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));

export function one(objs: KObject[], kind: string, name: string): KObject {
  const hits = find(objs, kind, name);
  if (hits.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${hits.length}`);
  return hits[0]!;
}

/** The pod spec of a workload or serving runtime (the runtime spec carries containers directly). */
export function podSpecOf(o: KObject): KObject | undefined {
  if (o.spec?.template?.spec) return o.spec.template.spec;
  if (o.kind === 'ClusterServingRuntime' || o.kind === 'ServingRuntime') return o.spec;
  return undefined;
}

export interface ContainerRef {
  owner: string;
  container: KObject;
  init: boolean;
}

export function containersOf(objs: KObject[]): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const o of objs) {
    const spec = podSpecOf(o);
    if (!spec) continue;
    const owner = `${o.kind}/${o.metadata.name}`;
    for (const c of spec.containers ?? []) out.push({ owner, container: c, init: false });
    for (const c of spec.initContainers ?? []) out.push({ owner, container: c, init: true });
  }
  return out;
}

/** Every file under `dir` (relative to the repo) ending in one of `exts`. */
export function filesUnder(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.some((e) => name.endsWith(e))) out.push(p);
    }
  };
  walk(repo(dir));
  return out.sort();
}

/** name[:tag][@digest] pinned: a digest, or a tag that is not `latest`. */
export function pinned(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const last = image.split('/').pop() ?? '';
  const tag = last.includes(':') ? last.split(':').pop() : undefined;
  return tag !== undefined && tag !== '' && tag !== 'latest';
}
