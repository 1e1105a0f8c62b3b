/**
 * Schema validation for generated Kubernetes objects, against what a real API server would accept.
 *
 * Schemas are loaded from the project's own `schemas/` (crds/ and openapi/v1.28/, trimmed copies of upstream
 * files written by `npm run schemas:update`; schemas/README.md names each source and version).
 *
 * - Custom resources: CustomResourceDefinition YAML under schemas/crds (spec.group, spec.names.kind, served
 *   version's schema.openAPIV3Schema). Two files defining the same group/version/kind are an error unless the
 *   caller picks one (ValidateOptions.crdFile).
 * - Built-in kinds: Kubernetes v1.28 OpenAPI v3 documents under schemas/openapi/v1.28, one per group-version
 *   (v1 -> api_v1.json, <group>/<version> -> apis_<group>_<version>.json); the schema is the one whose
 *   x-kubernetes-group-version-kind matches.
 *
 * Every Kubernetes schema is translated into an ajv JSON schema with the API server's structural semantics:
 * - unknown fields are errors (the API server prunes them for CRDs and rejects them for built-ins with
 *   fieldValidation=Strict; either way a generated object carrying one is a bug), except under
 *   x-kubernetes-preserve-unknown-fields: true;
 * - x-kubernetes-int-or-string: integer or string; Quantity: string (matching the quantity syntax) or number;
 * - x-kubernetes-embedded-resource: apiVersion/kind/metadata allowed;
 * - null is only accepted where `nullable: true` (the API server drops/zeroes some nulls, but a generated null is
 *   almost always a bug, so we are strict);
 * - CRD `default`s count as satisfying `required` (structural defaulting runs before validation);
 * - x-kubernetes-list-type map/set uniqueness is checked (custom keyword);
 * - x-kubernetes-validations (CEL rules) are NOT evaluated (no CEL interpreter here);
 * - metadata is validated as ObjectMeta (labels / annotation keys / namespace syntax), and metadata.name of the
 *   top-level object per the kind's name rule (DNS-1123 subdomain for custom resources and most built-ins);
 * - PodSpec: Go-side validation the OpenAPI schema does not express: unique container names (containers +
 *   initContainers + ephemeralContainers), unique volume names, volumeMounts referring to existing volumes,
 *   unique mountPaths per container; duplicate env var names are reported too (the 1.28 API server accepts
 *   them but the later entry silently overrides the earlier one, which is always a generator bug).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { AnySchemaObject, ErrorObject, SchemaValidateFunction, ValidateFunction } from 'ajv';
import yaml from 'js-yaml';

// ---------------------------------------------------------------------------------------------------------------
// Locations

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The project's copy of the upstream schemas and manifests (schemas/README.md names each file's source). */
export const SCHEMAS_DIR = path.join(repoRoot, 'schemas');

const K8S_VERSION = 'v1.28';
const crdDir = (): string => path.join(SCHEMAS_DIR, 'crds');
const openapiDir = (): string => path.join(SCHEMAS_DIR, 'openapi', K8S_VERSION);

// ---------------------------------------------------------------------------------------------------------------
// Public types

export interface GroupVersionKind {
  apiVersion: string;
  kind: string;
}

export interface ValidateOptions {
  /**
   * Use the CRD from the file whose path contains this string, when several files define the same kind.
   * Ignored for built-in kinds.
   */
  crdFile?: string;
}

/** Where a kind's schema came from. */
export interface SchemaSource {
  source: 'crd' | 'openapi';
  file: string;
  /** CRD: `<group>/<version>/<kind>`; OpenAPI: the components.schemas key. */
  name: string;
  /** CRD only. */
  scope?: 'Namespaced' | 'Cluster';
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes name / label syntax (k8s.io/apimachinery/pkg/util/validation)

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUANTITY =
  /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

function dnsSubdomainError(v: string): string | undefined {
  if (v.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(v)) {
    return (
      'must be a lowercase RFC 1123 subdomain (lowercase ' +
      "alphanumerics, '-' or '.', starting and ending with an " +
      'alphanumeric)'
    );
  }
  return undefined;
}

function dnsLabelError(v: string): string | undefined {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(v))
    return (
      'must be a lowercase RFC 1123 label (lowercase ' +
      "alphanumerics or '-', starting and ending with an " +
      'alphanumeric)'
    );
  return undefined;
}

function dns1035LabelError(v: string): string | undefined {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (!DNS1035_LABEL.test(v))
    return (
      'must be a lowercase RFC 1035 label (lowercase ' +
      "alphanumerics or '-', starting with a letter, ending with " +
      'an alphanumeric)'
    );
  return undefined;
}

function pathSegmentNameError(v: string): string | undefined {
  if (v === '.' || v === '..') return `may not be '${v}'`;
  if (v.includes('/') || v.includes('%')) return "may not contain '/' or '%'";
  return undefined;
}

/** Label / annotation key syntax: optional DNS-subdomain prefix (≤253) + '/' + name (≤63). */
export function qualifiedNameError(key: string): string | undefined {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) return 'prefix part must be non-empty';
    const err = dnsSubdomainError(prefix);
    if (err) return `prefix part ${err}`;
  } else if (parts.length > 2) {
    return (
      "a qualified name must consist of alphanumerics, '-', '_' " +
      "or '.', with an optional DNS subdomain prefix and '/'"
    );
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!QUALIFIED_NAME_PART.test(name)) {
    return "name part must consist of alphanumerics, '-', '_' or '.', and must start and end with an alphanumeric";
  }
  return undefined;
}

/** Label value syntax: ≤63, empty or alphanumeric at both ends with '-', '_', '.' inside. */
export function labelValueError(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!LABEL_VALUE.test(value))
    return "must be empty or consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  return undefined;
}

type NameRule = (v: string) => string | undefined;

/** metadata.name rules of built-in kinds (default: DNS-1123 subdomain, which is also the rule for custom resources). */
const BUILTIN_NAME_RULES: Record<string, NameRule> = {
  Service: dns1035LabelError,
  Namespace: dnsLabelError,
  Role: pathSegmentNameError,
  ClusterRole: pathSegmentNameError,
  RoleBinding: pathSegmentNameError,
  ClusterRoleBinding: pathSegmentNameError,
};

// ---------------------------------------------------------------------------------------------------------------
// Helpers

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** ajv instancePath (`/spec/containers/0/name`) → `spec.containers[0].name`. */
function formatPath(instancePath: string, extra?: string): string {
  const segs =
    instancePath === ''
      ? []
      : instancePath
          .slice(1)
          .split('/')
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segs.push(extra);
  let out = '';
  for (const s of segs) {
    if (/^\d+$/.test(s)) out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out === '' ? '(root)' : out;
}

function ptr(...segs: string[]): string {
  return segs.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Custom keyword payloads (kept in the translated schemas)

interface ListTypeSpec {
  type: 'map' | 'set';
  keys?: string[];
  /** Defaults of map keys (a missing key compares as its default, e.g. ContainerPort.protocol = TCP). */
  defaults?: Record<string, unknown>;
}

interface PodSpecCheck {
  /** Check volumeMounts → volumes (built-in PodSpec only: KServe/Knative inject volumes of their own). */
  mounts: boolean;
}

type KwError = Pick<ErrorObject, 'instancePath' | 'message'> & { keyword: string; params: Record<string, unknown> };

function kwError(instancePath: string, keyword: string, message: string): KwError {
  return { instancePath, keyword, message, params: {} };
}

function mapKeyOf(item: unknown, spec: ListTypeSpec): string | undefined {
  if (!isObject(item)) return undefined;
  const parts: string[] = [];
  for (const k of spec.keys ?? []) {
    const v = k in item ? item[k] : spec.defaults?.[k];
    parts.push(`${k}=${JSON.stringify(v ?? null)}`);
  }
  return `[${parts.join(',')}]`;
}

function checkListType(spec: ListTypeSpec, data: unknown[], at: string): KwError[] {
  const errors: KwError[] = [];
  const seen = new Map<string, number>();
  data.forEach((item, i) => {
    const key = spec.type === 'map' ? mapKeyOf(item, spec) : JSON.stringify(item);
    if (key === undefined) return;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else {
      const what = spec.type === 'map' ? `entry with key ${key}` : `value ${key}`;
      errors.push(
        kwError(
          `${at}/${i}`,
          'x-kubernetes-list-type',
          `duplicate ${what} (first at index ${first}); ` +
            `list-type ${spec.type} requires ` +
            `unique ${spec.type === 'map' ? 'keys' : 'values'}`,
        ),
      );
    }
  });
  return errors;
}

function checkStringMap(m: unknown, at: string, isLabels: boolean): KwError[] {
  if (!isObject(m)) return [];
  const errors: KwError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(m)) {
    const keyErr = qualifiedNameError(isLabels ? k : k.toLowerCase());
    if (keyErr)
      errors.push(
        kwError(
          `${at}/${ptr(k).slice(1)}`,
          'k8sObjectMeta',
          `invalid ${isLabels ? 'label' : 'annotation'} key "${k}": ${keyErr}`,
        ),
      );
    if (isLabels && typeof v === 'string') {
      const valErr = labelValueError(v);
      if (valErr)
        errors.push(
          kwError(`${at}/${ptr(k).slice(1)}`, 'k8sObjectMeta', `invalid label value ${JSON.stringify(v)}: ${valErr}`),
        );
    }
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (!isLabels && size > MAX_ANNOTATIONS_BYTES) {
    errors.push(kwError(at, 'k8sObjectMeta', `annotations total size ${size} exceeds ${MAX_ANNOTATIONS_BYTES} bytes`));
  }
  return errors;
}

function checkObjectMeta(mode: 'full' | 'labels', meta: JsonObject, at: string): KwError[] {
  const errors = [
    ...checkStringMap(meta['labels'], `${at}/labels`, true),
    ...checkStringMap(meta['annotations'], `${at}/annotations`, false),
  ];
  if (mode === 'full' && typeof meta['namespace'] === 'string' && meta['namespace'] !== '') {
    const err = dnsLabelError(meta['namespace']);
    if (err) errors.push(kwError(`${at}/namespace`, 'k8sObjectMeta', err));
  }
  return errors;
}

function namesOf(list: unknown): { name: string; index: number }[] {
  if (!Array.isArray(list)) return [];
  const out: { name: string; index: number }[] = [];
  list.forEach((c, index) => {
    if (isObject(c) && typeof c['name'] === 'string') out.push({ name: c['name'], index });
  });
  return out;
}

function checkUnique(entries: { name: string; at: string }[], what: string): KwError[] {
  const seen = new Map<string, string>();
  const errors: KwError[] = [];
  for (const e of entries) {
    const first = seen.get(e.name);
    if (first === undefined) seen.set(e.name, e.at);
    else errors.push(kwError(e.at, 'k8sPodSpec', `duplicate ${what} "${e.name}" (also at ${formatPath(first)})`));
  }
  return errors;
}

function checkContainer(c: unknown, at: string, volumes: Set<string> | undefined): KwError[] {
  if (!isObject(c)) return [];
  const errors = checkUnique(
    namesOf(c['env']).map((e) => ({ name: e.name, at: `${at}/env/${e.index}/name` })),
    'env var name (the later entry silently overrides the earlier one)',
  );
  const mounts = Array.isArray(c['volumeMounts']) ? c['volumeMounts'] : [];
  const paths: { name: string; at: string }[] = [];
  mounts.forEach((m, i) => {
    if (!isObject(m)) return;
    if (volumes && typeof m['name'] === 'string' && !volumes.has(m['name'])) {
      errors.push(
        kwError(`${at}/volumeMounts/${i}/name`, 'k8sPodSpec', `volume "${m['name']}" not found in the pod's volumes`),
      );
    }
    if (typeof m['mountPath'] === 'string')
      paths.push({ name: m['mountPath'], at: `${at}/volumeMounts/${i}/mountPath` });
  });
  return [...errors, ...checkUnique(paths, 'mountPath')];
}

function checkPodSpec(opts: PodSpecCheck, spec: JsonObject, at: string): KwError[] {
  const groups = ['initContainers', 'containers', 'ephemeralContainers'] as const;
  const containerNames = groups.flatMap((g) =>
    namesOf(spec[g]).map((e) => ({ name: e.name, at: `${at}/${g}/${e.index}/name` })),
  );
  const volumeNames = namesOf(spec['volumes']);
  const errors = [
    ...checkUnique(containerNames, 'container name'),
    ...checkUnique(
      volumeNames.map((e) => ({ name: e.name, at: `${at}/volumes/${e.index}/name` })),
      'volume name',
    ),
  ];
  const volumes = opts.mounts ? new Set(volumeNames.map((v) => v.name)) : undefined;
  for (const g of groups) {
    const list = spec[g];
    if (Array.isArray(list)) list.forEach((c, i) => errors.push(...checkContainer(c, `${at}/${g}/${i}`, volumes)));
  }
  return errors;
}

function funcKeyword<T, D>(
  check: (schema: T, data: D, at: string) => KwError[],
  accepts: (d: unknown) => d is D,
): SchemaValidateFunction {
  const validate: SchemaValidateFunction = (
    schema: T,
    data: unknown,
    _parent?: AnySchemaObject,
    cxt?: { instancePath: string },
  ) => {
    if (!accepts(data)) return true;
    const errors = check(schema, data, cxt?.instancePath ?? '');
    validate.errors = errors;
    return errors.length === 0;
  };
  return validate;
}

// ---------------------------------------------------------------------------------------------------------------
// ajv instance

const KNOWN_FORMATS = new Set([
  'int32',
  'int64',
  'date-time',
  'byte',
  'ipv4',
  'ipv6',
  'int-or-string',
  'double',
  'float',
  'date',
  'uri',
  'uuid',
  'hostname',
  'password',
  'binary',
]);
const schemaWarnings: string[] = [];

/** Things the translator had to drop or approximate (e.g. Go RE2 regexps JavaScript cannot compile). */
export function getSchemaWarnings(): readonly string[] {
  return schemaWarnings;
}

let ajvInstance: Ajv | undefined;

function getAjv(): Ajv {
  if (ajvInstance) return ajvInstance;
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    unicodeRegExp: false,
    validateSchema: false,
    addUsedSchema: false,
    inlineRefs: false,
  });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)),
  });
  ajv.addFormat('byte', { type: 'string', validate: (s: string) => BASE64.test(s) });
  ajv.addFormat('ipv4', { type: 'string', validate: (s: string) => isIPv4(s) });
  ajv.addFormat('ipv6', { type: 'string', validate: (s: string) => isIPv6(s) });
  for (const f of KNOWN_FORMATS)
    if (!['int32', 'int64', 'date-time', 'byte', 'ipv4', 'ipv6'].includes(f)) ajv.addFormat(f, true);

  ajv.addKeyword({
    keyword: 'k8sListType',
    type: 'array',
    schemaType: 'object',
    errors: true,
    validate: funcKeyword(checkListType, Array.isArray),
  });
  ajv.addKeyword({
    keyword: 'k8sObjectMeta',
    type: 'object',
    schemaType: 'string',
    errors: true,
    validate: funcKeyword(checkObjectMeta, isObject),
  });
  ajv.addKeyword({
    keyword: 'k8sPodSpec',
    type: 'object',
    schemaType: 'object',
    errors: true,
    validate: funcKeyword(checkPodSpec, isObject),
  });
  ajvInstance = ajv;
  return ajv;
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes schema → ajv schema

type K8sSchema = Record<string, unknown>;

interface TxContext {
  mode: 'crd' | 'openapi';
  /** OpenAPI only: resolves a local $ref (for list-map key defaults). */
  resolve?: (ref: string) => K8sSchema | undefined;
  /** Where we are, for warnings. */
  where: string;
}

const OBJECT_META_REF = `#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;
const openapiDocId = (file: string): string => `https://k8s-schemas.local/openapi/${K8S_VERSION}/${file}`;
const objectMetaRef = (): string => `${openapiDocId('api_v1.json')}${OBJECT_META_REF}`;

/** Go RE2 → JavaScript RegExp; returns undefined when it cannot be compiled. */
function translatePattern(p: string): string | undefined {
  try {
    new RegExp(p);
    return p;
  } catch {
    return undefined;
  }
}

function resolveItemSchema(items: unknown, ctx: TxContext): K8sSchema | undefined {
  if (!isObject(items)) return undefined;
  const ref =
    typeof items['$ref'] === 'string'
      ? items['$ref']
      : Array.isArray(items['allOf']) && isObject(items['allOf'][0])
        ? items['allOf'][0]['$ref']
        : undefined;
  if (typeof ref === 'string') return ctx.resolve?.(ref);
  return items;
}

function listTypeSpec(s: K8sSchema, ctx: TxContext): ListTypeSpec | undefined {
  const lt = s['x-kubernetes-list-type'];
  if (lt === 'set') return { type: 'set' };
  if (lt !== 'map') return undefined;
  const keys = Array.isArray(s['x-kubernetes-list-map-keys']) ? (s['x-kubernetes-list-map-keys'] as string[]) : [];
  const item = resolveItemSchema(s['items'], ctx);
  const props = item && isObject(item['properties']) ? item['properties'] : {};
  const defaults: Record<string, unknown> = {};
  for (const k of keys) {
    const ps = props[k];
    if (isObject(ps) && 'default' in ps) defaults[k] = ps['default'];
  }
  return { type: 'map', keys, defaults };
}

/** A CRD object schema that inlines a PodSpec (KServe predictor, Knative template spec, LLMISVC template...). */
function looksLikePodSpec(props: JsonObject): boolean {
  const c = props['containers'];
  if (!isObject(c) || c['type'] !== 'array' || !isObject(c['items'])) return false;
  const itemProps = c['items']['properties'];
  return isObject(itemProps) && 'image' in itemProps && 'name' in itemProps;
}

function txProperties(s: K8sSchema, out: AnySchemaObject, ctx: TxContext): void {
  const props = s['properties'];
  if (!isObject(props)) return;
  const outProps: Record<string, AnySchemaObject> = {};
  for (const [name, sub] of Object.entries(props)) {
    if (!isObject(sub)) continue;
    const child = txSchema(sub, { ...ctx, where: `${ctx.where}.${name}` });
    // CRD metadata sub-objects of a pod template ({type: object} or preserve-unknown with labels): label syntax
    if (ctx.mode === 'crd' && name === 'metadata') child['k8sObjectMeta'] = 'labels';
    outProps[name] = child;
  }
  out['properties'] = outProps;
  if (Array.isArray(s['required'])) {
    // Structural defaulting runs before validation for custom resources: a defaulted field satisfies `required`.
    const req = (s['required'] as string[]).filter(
      (r) => !(ctx.mode === 'crd' && isObject(props[r]) && 'default' in props[r]),
    );
    if (req.length > 0) out['required'] = req;
  }
  if (ctx.mode === 'crd' && looksLikePodSpec(props)) out['k8sPodSpec'] = { mounts: false } satisfies PodSpecCheck;
}

const COPIED_KEYWORDS = [
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'multipleOf',
  'uniqueItems',
];

function txObjectShape(s: K8sSchema, out: AnySchemaObject, ctx: TxContext, isObjectType: boolean): void {
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const ap = s['additionalProperties'];
  if (isObject(ap)) out['additionalProperties'] = txSchema(ap, { ...ctx, where: `${ctx.where}[*]` });
  else if (typeof ap === 'boolean') out['additionalProperties'] = ap;
  else if (!preserve && isObjectType) {
    // CRD: an object without properties/additionalProperties keeps nothing (everything is pruned).
    // OpenAPI: `type: object` without properties is a free-form Go type (RawExtension, FieldsV1).
    if (ctx.mode === 'crd' || isObject(s['properties'])) out['additionalProperties'] = false;
  }
  if (s['x-kubernetes-embedded-resource'] === true) {
    const props = (out['properties'] ?? {}) as Record<string, AnySchemaObject>;
    props['apiVersion'] ??= { type: 'string' };
    props['kind'] ??= { type: 'string' };
    props['metadata'] = { $ref: objectMetaRef() };
    out['properties'] = props;
  }
}

function txScalarKeywords(s: K8sSchema, out: AnySchemaObject, ctx: TxContext): void {
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  let type: string | string[] | undefined = intOrString
    ? ['integer', 'string']
    : typeof s['type'] === 'string'
      ? s['type']
      : undefined;
  if (type !== undefined && s['nullable'] === true) type = [...(Array.isArray(type) ? type : [type]), 'null'];
  if (type !== undefined) out['type'] = type;
  for (const k of COPIED_KEYWORDS) if (k in s) out[k] = s[k];
  if (Array.isArray(out['enum']) && s['nullable'] === true && !out['enum'].includes(null))
    out['enum'] = [...out['enum'], null];
  if (typeof s['format'] === 'string' && KNOWN_FORMATS.has(s['format'])) out['format'] = s['format'];
  if (typeof s['pattern'] === 'string') txPattern(s['pattern'], out, ctx);
}

function txPattern(pattern: string, out: AnySchemaObject, ctx: TxContext): void {
  const p = translatePattern(pattern);
  if (p !== undefined) out['pattern'] = p;
  else schemaWarnings.push(`${ctx.where}: pattern ${JSON.stringify(pattern)} is not a JavaScript RegExp; not checked`);
}

function txSchema(s: K8sSchema, ctx: TxContext): AnySchemaObject {
  const out: AnySchemaObject = {};
  if (typeof s['$ref'] === 'string') out['$ref'] = s['$ref'];
  txScalarKeywords(s, out, ctx);
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  for (const comb of ['allOf', 'anyOf', 'oneOf'] as const) {
    // int-or-string's anyOf [{integer},{string}] is replaced by the type union
    if (intOrString && comb !== 'allOf') continue;
    const list = s[comb];
    if (Array.isArray(list))
      out[comb] = list.filter(isObject).map((x, i) => txSchema(x, { ...ctx, where: `${ctx.where}.${comb}[${i}]` }));
  }
  if (isObject(s['not'])) out['not'] = txSchema(s['not'], ctx);
  if (isObject(s['items'])) out['items'] = txSchema(s['items'], { ...ctx, where: `${ctx.where}[]` });
  txProperties(s, out, ctx);
  txObjectShape(s, out, ctx, s['type'] === 'object');
  const lt = listTypeSpec(s, ctx);
  if (lt) out['k8sListType'] = lt;
  // x-kubernetes-validations (CEL) are deliberately ignored: no CEL evaluator here.
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// OpenAPI (built-in kinds)

interface OpenApiDoc {
  file: string;
  id: string;
  schemas: Record<string, K8sSchema>;
}

const openapiDocs = new Map<string, OpenApiDoc | null>();

function openapiFileFor(apiVersion: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  return group === '' ? `api_${version}.json` : `apis_${group}_${version}.json`;
}

/** Schemas whose translation is special-cased (Go types with custom JSON marshalling). */
const OPENAPI_OVERRIDES: Record<string, AnySchemaObject> = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: ['string', 'number'], pattern: QUANTITY.source },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: ['integer', 'string'] },
  // metav1.Time marshals its zero value as null (`creationTimestamp: null` in kubectl / controller-gen output)
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: ['string', 'null'], format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: ['string', 'null'], format: 'date-time' },
};

function loadOpenApiDoc(file: string): OpenApiDoc | undefined {
  const cached = openapiDocs.get(file);
  if (cached !== undefined) return cached ?? undefined;
  const full = path.join(openapiDir(), file);
  if (!existsSync(full)) {
    openapiDocs.set(file, null);
    return undefined;
  }
  const raw = JSON.parse(readFileSync(full, 'utf8')) as { components?: { schemas?: Record<string, K8sSchema> } };
  const schemas = raw.components?.schemas ?? {};
  const resolve = (ref: string): K8sSchema | undefined => schemas[ref.replace('#/components/schemas/', '')];
  const translated: Record<string, AnySchemaObject> = {};
  for (const [name, s] of Object.entries(schemas)) {
    const t = OPENAPI_OVERRIDES[name] ?? txSchema(s, { mode: 'openapi', resolve, where: `${file}:${name}` });
    if (name === 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta') t['k8sObjectMeta'] = 'full';
    if (name === 'io.k8s.api.core.v1.PodSpec') t['k8sPodSpec'] = { mounts: true } satisfies PodSpecCheck;
    translated[name] = t;
  }
  const doc: OpenApiDoc = { file, id: openapiDocId(file), schemas };
  getAjv().addSchema({ $id: doc.id, components: { schemas: translated } });
  openapiDocs.set(file, doc);
  return doc;
}

function findOpenApiSchema(apiVersion: string, kind: string): SchemaSource | undefined {
  const file = openapiFileFor(apiVersion);
  const doc = loadOpenApiDoc(file);
  if (!doc) return undefined;
  const { group, version } = splitApiVersion(apiVersion);
  const matches = Object.entries(doc.schemas).filter(([, s]) => {
    const gvks = s['x-kubernetes-group-version-kind'];
    return (
      Array.isArray(gvks) &&
      gvks.some((g) => isObject(g) && g['group'] === group && g['version'] === version && g['kind'] === kind)
    );
  });
  const best = matches.find(([name]) => name.endsWith(`.${kind}`)) ?? matches[0];
  return best ? { source: 'openapi', file: path.join(openapiDir(), file), name: best[0] } : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// CRDs

interface CrdVersion {
  name: string;
  served?: boolean;
  schema?: { openAPIV3Schema?: K8sSchema };
}

interface Crd {
  kind?: string;
  spec?: { group?: string; scope?: 'Namespaced' | 'Cluster'; names?: { kind?: string }; versions?: CrdVersion[] };
}

interface CrdEntry {
  file: string;
  group: string;
  kind: string;
  version: string;
  scope: 'Namespaced' | 'Cluster';
  schema: K8sSchema;
}

function listCrdFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(e.name)) out.push(full);
    }
  };
  if (existsSync(crdDir())) walk(crdDir());
  return out.sort();
}

const crdFileText = new Map<string, string[]>();
const crdDocsParsed = new Map<string, Crd>();

function crdDocs(file: string): string[] {
  let docs = crdFileText.get(file);
  if (!docs) {
    docs = readFileSync(file, 'utf8')
      .split(/^---[ \t]*$/m)
      .filter((d) => d.trim() !== '');
    crdFileText.set(file, docs);
  }
  return docs;
}

function parseCrd(file: string, index: number, text: string): Crd | undefined {
  const key = `${file}#${index}`;
  let crd = crdDocsParsed.get(key);
  if (!crd) {
    const loaded = yaml.load(text);
    if (!isObject(loaded)) return undefined;
    crd = loaded as Crd;
    crdDocsParsed.set(key, crd);
  }
  return crd.kind === 'CustomResourceDefinition' ? crd : undefined;
}

function crdEntriesIn(file: string, group: string, kind: string, version: string, prefilter: boolean): CrdEntry[] {
  const out: CrdEntry[] = [];
  crdDocs(file).forEach((text, i) => {
    // cheap textual prefilter so only the relevant (multi-megabyte) documents are parsed
    if (prefilter && !(text.includes(group) && new RegExp(`kind:\\s*['"]?${kind}['"]?\\s*$`, 'm').test(text))) return;
    const crd = parseCrd(file, i, text);
    const spec = crd?.spec;
    if (!spec || spec.group !== group || spec.names?.kind !== kind) return;
    const v = spec.versions?.find((x) => x.name === version && x.served !== false);
    const schema = v?.schema?.openAPIV3Schema;
    if (schema) out.push({ file, group, kind, version, scope: spec.scope ?? 'Namespaced', schema });
  });
  return out;
}

function findCrd(group: string, version: string, kind: string, crdFile?: string): CrdEntry | undefined {
  const files = listCrdFiles();
  let entries = files.flatMap((f) => crdEntriesIn(f, group, kind, version, true));
  if (entries.length === 0) entries = files.flatMap((f) => crdEntriesIn(f, group, kind, version, false));
  if (crdFile) entries = entries.filter((e) => e.file.includes(crdFile));
  if (entries.length > 1) {
    const files = entries.map((e) => path.relative(SCHEMAS_DIR, e.file)).join(', ');
    throw new Error(`${group}/${version} ${kind} is defined by several files (${files}): pass crdFile`);
  }
  return entries[0];
}

/**
 * CRDs inline every type (the InferenceService schema repeats the pod spec for predictor, transformer, explainer,
 * canary... ) and ajv compile time grows with schema size, so identical sub-schemas are hoisted into `$defs` and
 * referenced: ajv then compiles each of them once (a ~5x faster compile for the InferenceService CRD).
 */
function dedupeSubschemas(root: AnySchemaObject, minSize = 400): AnySchemaObject {
  const counts = new Map<string, number>();
  const keyOf = new Map<object, string>();
  const count = (node: unknown): string => {
    const key = JSON.stringify(node);
    if (isObject(node) || Array.isArray(node)) {
      for (const v of Object.values(node)) count(v);
      if (isObject(node) && key.length >= minSize) {
        keyOf.set(node, key);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    return key;
  };
  count(root);
  const defs: Record<string, AnySchemaObject> = {};
  const defName = new Map<string, string>();
  const rewrite = (node: unknown, isSchemaPos: boolean): unknown => {
    if (Array.isArray(node)) return node.map((v) => rewrite(v, isSchemaPos));
    if (!isObject(node)) return node;
    const key = keyOf.get(node);
    if (isSchemaPos && key !== undefined && (counts.get(key) ?? 0) > 1) {
      let name = defName.get(key);
      if (!name) {
        name = `d${defName.size}`;
        defName.set(key, name);
        defs[name] = rewriteChildren(node);
      }
      return { $ref: `#/$defs/${name}` };
    }
    return rewriteChildren(node);
  };
  // only schema positions may become $refs (not e.g. the `properties` map or a k8sListType payload)
  const rewriteChildren = (node: JsonObject): AnySchemaObject => {
    const out: AnySchemaObject = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && isObject(v))
        out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, rewrite(pv, true)]));
      else if (['items', 'additionalProperties', 'not'].includes(k) || ['allOf', 'anyOf', 'oneOf'].includes(k))
        out[k] = rewrite(v, true);
      else out[k] = v;
    }
    return out;
  };
  const out = rewriteChildren(root);
  if (Object.keys(defs).length > 0) out['$defs'] = defs;
  return out;
}

function translateCrdSchema(entry: CrdEntry): AnySchemaObject {
  loadOpenApiDoc('api_v1.json'); // ObjectMeta lives there
  const root = txSchema(entry.schema, {
    mode: 'crd',
    where: `${path.basename(entry.file)}:${entry.group}/${entry.version}/${entry.kind}`,
  });
  const props = (root['properties'] ?? {}) as Record<string, AnySchemaObject>;
  // The CRD's metadata schema is usually just {type: object}; the API server validates it as ObjectMeta. A few
  // CRDs add constraints (e.g. name maxLength): keep those properties next to the ObjectMeta $ref.
  const ownMeta = props['metadata']?.['properties'] as Record<string, AnySchemaObject> | undefined;
  props['metadata'] = ownMeta ? { $ref: objectMetaRef(), properties: ownMeta } : { $ref: objectMetaRef() };
  props['apiVersion'] ??= { type: 'string' };
  props['kind'] ??= { type: 'string' };
  root['properties'] = props;
  return dedupeSubschemas(root);
}

// ---------------------------------------------------------------------------------------------------------------
// Validator resolution and cache

interface Resolved {
  source: SchemaSource;
  validate: ValidateFunction;
  nameRule: NameRule;
}

const validatorCache = new Map<string, Resolved | null>();

function crdSchemaId(entry: CrdEntry): string {
  return `https://k8s-schemas.local/crd/${path.basename(entry.file)}/${entry.group}/${entry.version}/${entry.kind}`;
}

function resolve(apiVersion: string, kind: string, opts: ValidateOptions): Resolved | undefined {
  const cacheKey = `${apiVersion}|${kind}|${opts.crdFile ?? ''}`;
  const cached = validatorCache.get(cacheKey);
  if (cached !== undefined) return cached ?? undefined;
  if (!existsSync(openapiDir()) || !existsSync(crdDir())) {
    throw new Error(
      `schema data not found under ${SCHEMAS_DIR} (expected crds/ and openapi/${K8S_VERSION}/; ` +
        'npm run schemas:update -- --from DIR writes them)',
    );
  }
  const ajv = getAjv();
  const { group, version } = splitApiVersion(apiVersion);
  let resolved: Resolved | undefined;
  // Built-in group-versions first (their OpenAPI file exists); everything else is looked up among the CRDs.
  const oa = findOpenApiSchema(apiVersion, kind);
  const crd = oa || group === '' ? undefined : findCrd(group, version, kind, opts.crdFile);
  if (oa) {
    resolved = {
      source: oa,
      validate: compileRef(`${openapiDocId(path.basename(oa.file))}#/components/schemas/${oa.name}`),
      nameRule: BUILTIN_NAME_RULES[kind] ?? dnsSubdomainError,
    };
  } else if (crd) {
    const id = crdSchemaId(crd);
    if (!ajv.getSchema(id)) ajv.addSchema({ ...translateCrdSchema(crd), $id: id });
    resolved = {
      source: { source: 'crd', file: crd.file, name: `${group}/${version}/${kind}`, scope: crd.scope },
      validate: ajv.getSchema(id) as ValidateFunction,
      nameRule: dnsSubdomainError,
    };
  }
  validatorCache.set(cacheKey, resolved ?? null);
  return resolved;
}

const refValidators = new Map<string, ValidateFunction>();

function compileRef(ref: string): ValidateFunction {
  let v = refValidators.get(ref);
  if (!v) {
    v = getAjv().compile({ $ref: ref });
    refValidators.set(ref, v);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Error formatting

function formatError(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return (
        `${formatPath(e.instancePath, String(p['additionalProperty']))}: ` +
        `unknown field "${String(p['additionalProperty'])}"`
      );
    case 'required':
      return (
        `${formatPath(e.instancePath, String(p['missingProperty']))}: ` +
        `required field "${String(p['missingProperty'])}" is missing`
      );
    case 'enum':
      return (
        `${formatPath(e.instancePath)}: must be one ` +
        `of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
      );
    case 'type':
      return (
        `${formatPath(e.instancePath)}: must be of ` +
        `type ${Array.isArray(p['type']) ? (p['type'] as string[]).join(' or ') : String(p['type'])}`
      );
    default:
      return `${formatPath(e.instancePath)}: ${e.message ?? e.keyword}`;
  }
}

function collectErrors(validate: ValidateFunction, obj: unknown): string[] {
  if (validate(obj)) return [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    // anyOf/oneOf summary errors only repeat what their branches said
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    seen.add(formatError(e));
  }
  return [...seen];
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

/** The schema validateObject would use for apiVersion/kind (undefined when none is known). */
export function schemaSourceFor(gvk: GroupVersionKind, opts: ValidateOptions = {}): SchemaSource | undefined {
  return resolve(gvk.apiVersion, gvk.kind, opts)?.source;
}

/**
 * Validates a complete Kubernetes object (apiVersion + kind pick the schema). Returns human-readable errors
 * (`path: message`), empty when the API server would accept the object (modulo CEL rules and admission webhooks).
 */
export function validateObject(obj: unknown, opts: ValidateOptions = {}): string[] {
  if (!isObject(obj)) return ['(root): must be an object'];
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || apiVersion === '' || kind === '') {
    return ['(root): apiVersion and kind must be non-empty strings'];
  }
  const r = resolve(apiVersion, kind, opts);
  if (!r)
    return [
      `(root): no schema is known for apiVersion "${apiVersion}", ` +
        `kind "${kind}" (looked in ${crdDir()} and ${openapiDir()})`,
    ];
  const errors = collectErrors(r.validate, obj);
  errors.push(...rootMetadataErrors(obj, r));
  return errors;
}

function rootMetadataErrors(obj: JsonObject, r: Resolved): string[] {
  const meta = obj['metadata'];
  const errors: string[] = [];
  if (!isObject(meta)) return ['metadata: required'];
  const name = meta['name'];
  if (typeof name === 'string' && name !== '') {
    const err = r.nameRule(name);
    if (err) errors.push(`metadata.name: ${JSON.stringify(name)} ${err}`);
  } else if (typeof meta['generateName'] !== 'string' || meta['generateName'] === '') {
    errors.push('metadata.name: name or generateName is required');
  }
  if (r.source.scope === 'Cluster' && typeof meta['namespace'] === 'string' && meta['namespace'] !== '') {
    errors.push(`metadata.namespace: not allowed on a cluster-scoped resource (${r.source.name})`);
  }
  return errors;
}

/**
 * Validates `obj` as the part of a `gvk` object found at `subPath` (dotted property path, `[]` for array items,
 * e.g. 'spec.predictor' or 'spec.template.spec.containers[]'). Without subPath, validates `obj` as a whole
 * `gvk` object, filling in apiVersion/kind.
 */
export function validateAs(
  obj: unknown,
  gvk: GroupVersionKind,
  subPath?: string,
  opts: ValidateOptions = {},
): string[] {
  if (!subPath)
    return validateObject(isObject(obj) ? { ...obj, apiVersion: gvk.apiVersion, kind: gvk.kind } : obj, opts);
  const r = resolve(gvk.apiVersion, gvk.kind, opts);
  if (!r) return [`(root): no schema is known for apiVersion "${gvk.apiVersion}", kind "${gvk.kind}"`];
  const ref = subSchemaRef(r, subPath);
  if (!ref) return [`(root): ${gvk.kind} has no field ${subPath}`];
  return collectErrors(compileRef(ref), obj);
}

/** The `$ref` of a schema node, or of its `allOf: [{$ref}]` wrapper. */
function refOf(node: AnySchemaObject): string | undefined {
  if (typeof node['$ref'] === 'string') return node['$ref'];
  const first: unknown = Array.isArray(node['allOf']) ? node['allOf'][0] : undefined;
  return isObject(first) && typeof first['$ref'] === 'string' ? first['$ref'] : undefined;
}

/** A position (schema id + JSON pointer) in the translated schemas registered with ajv. */
class SchemaCursor {
  constructor(
    private base: string,
    private pointer: string,
  ) {}

  get ref(): string {
    return `${this.base}#${this.pointer}`;
  }

  node(): AnySchemaObject | undefined {
    let node: unknown = getAjv().getSchema(this.base)?.schema;
    for (const p of this.pointer.split('/').slice(1))
      node = isObject(node) ? node[p.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    return isObject(node) ? node : undefined;
  }

  /** Follows $ref indirections; returns the schema node finally pointed at. */
  deref(): AnySchemaObject | undefined {
    let node = this.node();
    for (let hops = 0; node && hops < 8; hops++) {
      const ref = refOf(node);
      if (ref === undefined) break;
      const hash = ref.indexOf('#');
      if (hash > 0) this.base = ref.slice(0, hash);
      this.pointer = ref.slice(hash + 1);
      node = this.node();
    }
    return node;
  }

  /** Steps into a property (or `[]` = array items); false when there is none. */
  step(seg: string): boolean {
    const node = this.deref();
    if (!node) return false;
    if (seg === '[]') {
      if (!isObject(node['items'])) return false;
      this.pointer += '/items';
      return true;
    }
    if (!isObject(node['properties']) || !isObject(node['properties'][seg])) return false;
    this.pointer += `/properties${ptr(seg)}`;
    return true;
  }
}

/** JSON pointer ref of a sub-schema, following OpenAPI `$ref` / `allOf: [{$ref}]` indirections. */
function subSchemaRef(r: Resolved, subPath: string): string | undefined {
  const cursor =
    r.source.source === 'crd'
      ? new SchemaCursor((r.validate.schema as AnySchemaObject)['$id'] as string, '')
      : new SchemaCursor(openapiDocId(path.basename(r.source.file)), `/components/schemas/${r.source.name}`);
  const segs = subPath
    .split('.')
    .flatMap((s) => (s.endsWith('[]') ? [s.slice(0, -2), '[]'] : [s]))
    .filter((s) => s !== '');
  for (const seg of segs) if (!cursor.step(seg)) return undefined;
  return cursor.ref;
}

/** Validates against a named Kubernetes v1.28 OpenAPI definition (e.g. io.k8s.api.core.v1.Container). */
export function validateDefinition(obj: unknown, definition: string, openapiFile = 'api_v1.json'): string[] {
  const doc = loadOpenApiDoc(openapiFile);
  if (!doc || !(definition in doc.schemas)) return [`(root): no definition ${definition} in ${openapiFile}`];
  return collectErrors(compileRef(`${doc.id}#/components/schemas/${definition}`), obj);
}

/** Validates a core/v1 PodSpec (io.k8s.api.core.v1.PodSpec, Kubernetes v1.28). */
export function validatePodSpec(spec: unknown): string[] {
  return validateDefinition(spec, 'io.k8s.api.core.v1.PodSpec');
}

function describe(obj: unknown): string {
  if (!isObject(obj)) return typeof obj;
  const meta = isObject(obj['metadata']) ? obj['metadata'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '?';
  return (
    `${String(obj['apiVersion'])} ` +
    `${String(obj['kind'])} ` +
    `${typeof meta['namespace'] === 'string' ? `${meta['namespace']}/` : ''}` +
    `${name}`
  );
}

/** Jest helper: throws an Error listing every schema error of `obj`. */
export function expectValid(obj: unknown, opts: ValidateOptions = {}): void {
  const errors = validateObject(obj, opts);
  if (errors.length > 0) {
    throw new Error(
      `${describe(obj)} is not valid (${errors.length} ` +
        `error${errors.length === 1 ? '' : 's'}):\n ` +
        ` - ${errors.join('\n  - ')}`,
    );
  }
}

/** Throws unless validateObject reports an error matching `match` (string = substring). */
export function expectInvalid(obj: unknown, match?: string | RegExp, opts: ValidateOptions = {}): string[] {
  const errors = validateObject(obj, opts);
  if (errors.length === 0) throw new Error(`${describe(obj)} was expected to be invalid but passed validation`);
  if (match !== undefined && !errors.some((e) => (typeof match === 'string' ? e.includes(match) : match.test(e)))) {
    throw new Error(`${describe(obj)}: no error matches ${String(match)}; errors:\n  - ${errors.join('\n  - ')}`);
  }
  return errors;
}
