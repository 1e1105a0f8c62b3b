/**
 * A small kustomize renderer for the features this repo's kustomizations use, so tests can validate what
 * `kubectl apply -k` would send without a kustomize binary. It follows kustomize v5 (sigs.k8s.io/kustomize/api
 * internal/target/kusttarget.go): resources are accumulated, then components, then generators, then the
 * builtin transformers in kustomize's order (patches → namespace → namePrefix/nameSuffix → images).
 *
 * Supported: resources (YAML files and kustomization directories), components (kind: Component),
 * namespace, namePrefix/nameSuffix (only on kinds nothing refers to by name: see SUFFIXABLE), images
 * (newName/newTag/digest on spec[.template.spec].{containers,initContainers}[].image of any kind, like
 * kustomize's default image fieldSpecs), patches (JSON 6902 with a target; inline or file), configMapGenerator
 * with files/literals and the name-suffix hash disabled.
 *
 * Anything else is an error, never silently ignored: strategic-merge patches, hashed generator names, remote
 * resources, name-reference rewriting, files outside the kustomization root (kustomize's default load
 * restrictor), duplicate resource ids.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import jsonpatch, { type Operation } from 'fast-json-patch';
import yaml from 'js-yaml';

export type KObject = Record<string, any>;

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const KNOWN_KEYS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'components',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'images',
  'patches',
  'configMapGenerator',
  'generatorOptions',
]);

/**
 * Kinds kustomize knows to be cluster-scoped (its builtin OpenAPI). Unknown kinds (custom resources whose CRD
 * is not part of the build) count as namespaced, exactly as kustomize treats them, so a `namespace:` over a
 * ClusterServingRuntime would wrongly set one; tests check that no cluster-scoped object carries a namespace.
 */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'APIService',
  'Node',
  'IngressClass',
  'RuntimeClass',
]);

/** Kinds never referenced by name from other objects here, so a name suffix needs no reference rewriting. */
const SUFFIXABLE = new Set(['ClusterServingRuntime', 'ServingRuntime']);

export class KustomizeError extends Error {}

function kustomizationFile(dir: string): string {
  for (const name of KUSTOMIZATION_FILES) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  throw new KustomizeError(`${dir}: no kustomization.yaml`);
}

/** kustomize's default load restrictor: files a kustomization reads must be under its own directory. */
function fileUnder(root: string, rel: string, what: string): string {
  const file = path.resolve(root, rel);
  const back = path.relative(root, file);
  if (back.startsWith('..') || path.isAbsolute(back))
    throw new KustomizeError(
      `${what} ${rel}: outside the kustomization root ${root} (kustomize's load restrictor rejects it)`,
    );
  return file;
}

export function loadYamlDocuments(file: string): KObject[] {
  const docs = yaml.loadAll(readFileSync(file, 'utf8')).filter((d) => d !== null && d !== undefined);
  for (const d of docs) {
    if (typeof d !== 'object' || Array.isArray(d)) throw new KustomizeError(`${file}: a document is not a mapping`);
  }
  return docs as KObject[];
}

export function resourceId(o: KObject): string {
  const ns = CLUSTER_SCOPED.has(o.kind) ? '' : (o.metadata?.namespace ?? '');
  return `${o.apiVersion}/${o.kind}/${ns}/${o.metadata?.name}`;
}

export function isClusterScopedForKustomize(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

function add(acc: KObject[], objs: KObject[], where: string): void {
  for (const o of objs) {
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      throw new KustomizeError(`${where}: every resource needs apiVersion, kind and metadata.name`);
    }
    const id = resourceId(o);
    if (acc.some((a) => resourceId(a) === id))
      throw new KustomizeError(`${where}: may not add resource with an already registered id ${id}`);
    acc.push(o);
  }
}

/** Render the kustomization in `dir` as `kustomize build dir` would. */
export function kustomizeBuild(dir: string): KObject[] {
  const acc: KObject[] = [];
  accumulate(path.resolve(dir), acc, 'Kustomization');
  return acc;
}

function loadKustomization(dir: string, expectKind: 'Kustomization' | 'Component'): { file: string; k: KObject } {
  const file = kustomizationFile(dir);
  const k = yaml.load(readFileSync(file, 'utf8')) as KObject;
  const kind = k.kind ?? 'Kustomization';
  if (kind !== expectKind) throw new KustomizeError(`${file}: kind ${kind}, expected ${expectKind}`);
  for (const key of Object.keys(k))
    if (!KNOWN_KEYS.has(key)) throw new KustomizeError(`${file}: "${key}" is not supported by the test renderer`);
  return { file, k };
}

function addResources(dir: string, file: string, entries: string[], into: KObject[]): void {
  for (const entry of entries) {
    if (/^[a-z]+:\/\//.test(entry) || entry.includes('?ref='))
      throw new KustomizeError(`${file}: remote resource ${entry} not supported`);
    const target = path.resolve(dir, entry);
    if (existsSync(target) && statSync(target).isDirectory())
      add(into, kustomizeBuildInto(target), `${file} resource ${entry}`);
    else add(into, loadYamlDocuments(fileUnder(dir, entry, 'resource')), `${file} resource ${entry}`);
  }
}

function accumulate(dir: string, acc: KObject[], expectKind: 'Kustomization' | 'Component'): void {
  const { file, k } = loadKustomization(dir, expectKind);
  // A kustomization's own resources (a component's act on the parent's accumulated set).
  const own: KObject[] = expectKind === 'Component' ? acc : [];
  addResources(dir, file, (k.resources ?? []) as string[], own);
  for (const entry of (k.components ?? []) as string[]) accumulate(path.resolve(dir, entry), own, 'Component');
  add(own, generateConfigMaps(dir, file, k), `${file} configMapGenerator`);

  for (const p of (k.patches ?? []) as KObject[]) applyPatch(dir, file, p, own);
  if (typeof k.namespace === 'string') setNamespace(own, k.namespace, file);
  if (k.namePrefix !== undefined || k.nameSuffix !== undefined)
    rename(own, k.namePrefix ?? '', k.nameSuffix ?? '', file);
  for (const image of (k.images ?? []) as KObject[]) setImages(own, image);
  if (own !== acc) acc.push(...own);
}

function kustomizeBuildInto(dir: string): KObject[] {
  const out: KObject[] = [];
  accumulate(dir, out, 'Kustomization');
  return out;
}

function generateConfigMaps(dir: string, file: string, k: KObject): KObject[] {
  const globalNoHash = k.generatorOptions?.disableNameSuffixHash === true;
  return ((k.configMapGenerator ?? []) as KObject[]).map((g) => {
    if (!globalNoHash && g.options?.disableNameSuffixHash !== true) {
      throw new KustomizeError(
        `${file}: configMapGenerator ${g.name} must set ` +
          `options.disableNameSuffixHash: true (hashed names need ` +
          `reference rewriting the test renderer does not do)`,
      );
    }
    const data: Record<string, string> = {};
    for (const literal of (g.literals ?? []) as string[]) {
      const i = literal.indexOf('=');
      data[literal.slice(0, i)] = literal.slice(i + 1);
    }
    for (const entry of (g.files ?? []) as string[]) {
      const [key, rel] = entry.includes('=')
        ? (entry.split('=', 2) as [string, string])
        : [path.basename(entry), entry];
      data[key] = readFileSync(fileUnder(dir, rel, 'configMapGenerator file'), 'utf8');
    }
    const labels = { ...(k.generatorOptions?.labels ?? {}), ...(g.options?.labels ?? {}) };
    const metadata: KObject = { name: g.name, ...(g.namespace ? { namespace: g.namespace } : {}) };
    if (Object.keys(labels).length > 0) metadata.labels = labels;
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data };
  });
}

/** kustomize target fields are anchored regular expressions. */
function matches(pattern: unknown, value: unknown): boolean {
  if (pattern === undefined) return true;
  return new RegExp(`^(?:${String(pattern)})$`).test(String(value ?? ''));
}

function targets(t: KObject, o: KObject): boolean {
  const [group, version] = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/') : ['', o.apiVersion];
  return (
    matches(t.group, group) &&
    matches(t.version, version) &&
    matches(t.kind, o.kind) &&
    matches(t.name, o.metadata?.name) &&
    matches(t.namespace, o.metadata?.namespace)
  );
}

function applyPatch(dir: string, file: string, p: KObject, objs: KObject[]): void {
  const text =
    typeof p.patch === 'string'
      ? p.patch
      : typeof p.path === 'string'
        ? readFileSync(fileUnder(dir, p.path, 'patch'), 'utf8')
        : undefined;
  if (text === undefined) throw new KustomizeError(`${file}: a patch needs patch or path`);
  const ops = yaml.load(text);
  if (!Array.isArray(ops))
    throw new KustomizeError(
      `${file}: only JSON 6902 patches (a list of operations) are supported, not strategic merge`,
    );
  if (!p.target) throw new KustomizeError(`${file}: a JSON 6902 patch needs a target`);
  if (p.target.labelSelector || p.target.annotationSelector)
    throw new KustomizeError(`${file}: label/annotation selectors in targets are not supported`);
  const hit = objs.filter((o) => targets(p.target, o));
  if (hit.length === 0)
    throw new KustomizeError(`${file}: patch target ${JSON.stringify(p.target)} matches no resource`);
  for (const o of hit) {
    try {
      jsonpatch.applyPatch(o, ops as Operation[], true, true);
    } catch (err) {
      throw new KustomizeError(`${file}: patch on ${resourceId(o)} failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

function setNamespace(objs: KObject[], namespace: string, file: string): void {
  for (const o of objs) {
    if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = namespace;
    // kustomize renames a Namespace object to the target namespace; accept only the no-op case.
    if (o.kind === 'Namespace' && o.metadata.name !== namespace)
      throw new KustomizeError(`${file}: Namespace ${o.metadata.name} would be renamed to ${namespace}`);
    // kustomize also rewrites these references; its rules for them changed across versions, so the test
    // renderer only accepts manifests where they already name the target namespace (same output either way).
    for (const s of (o.subjects ?? []) as KObject[]) {
      if (s.kind === 'ServiceAccount' && s.namespace !== namespace)
        throw new KustomizeError(
          `${file}: ${resourceId(o)} subject ${s.name} must name namespace ${namespace} explicitly`,
        );
    }
    for (const w of (o.webhooks ?? []) as KObject[]) {
      const svc = w.clientConfig?.service;
      if (svc && svc.namespace !== namespace)
        throw new KustomizeError(
          `${file}: ${resourceId(o)} webhook ${w.name} service must name namespace ${namespace} explicitly`,
        );
    }
  }
}

function rename(objs: KObject[], prefix: string, suffix: string, file: string): void {
  for (const o of objs) {
    if (!SUFFIXABLE.has(o.kind))
      throw new KustomizeError(
        `${file}: namePrefix/nameSuffix on ${o.kind} needs ` +
          `name-reference rewriting, which the test renderer does not do`,
      );
    o.metadata.name = `${prefix}${o.metadata.name}${suffix}`;
  }
}

/** name[:tag][@digest], where a registry port's colon is not a tag. */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [rest, digest] = image.split('@', 2) as [string, string | undefined];
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), ...(digest ? { digest } : {}) };
  return { name: rest, ...(digest ? { digest } : {}) };
}

function setImages(objs: KObject[], entry: KObject): void {
  const visit = (containers: unknown): void => {
    if (!Array.isArray(containers)) return;
    for (const c of containers as KObject[]) {
      if (typeof c.image !== 'string') continue;
      const img = splitImage(c.image);
      if (img.name !== entry.name) continue;
      const name = entry.newName ?? img.name;
      if (entry.digest) c.image = `${name}@${entry.digest}`;
      else if (entry.newTag) c.image = `${name}:${entry.newTag}`;
      else c.image = `${name}${img.tag ? `:${img.tag}` : ''}${img.digest ? `@${img.digest}` : ''}`;
    }
  };
  for (const o of objs) {
    for (const spec of [o.spec, o.spec?.template?.spec]) {
      visit(spec?.containers);
      visit(spec?.initContainers);
    }
  }
}
