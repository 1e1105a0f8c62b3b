/**
 * Installs kserve-llmd on the control plane as docs/install.md describes, with the two substitutions a cluster
 * without cert-manager and without our image needs: the webhook configuration points at a local
 * `kserve-llmd webhook` process (clientConfig.url + the test CA in caBundle, instead of the Service and
 * cert-manager's CA injection), and the controller/autoscaler run as local processes with their
 * ServiceAccounts' tokens (so the real authorizer judges the RBAC in manifests/). Everything else is
 * `kubectl apply -k manifests/overlays/default`, sent as server-side apply.
 */
import { createHash } from 'node:crypto';
import { readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { loadYamlDocuments, kustomizeBuild } from '../../test/support/kustomize.js';
import { INSTALL_NAMESPACE, WEBHOOK_CONFIGURATION_NAME } from '../../core/names.js';
import { REPO_ROOT } from './env.js';
import { eventually, KubeError, type Kube, type Obj } from './kube.js';

/**
 * The CRDs kserve-llmd needs besides Knative's (docs/install.md "Prerequisites"), from the project's copies of
 * the upstream files (schemas/README.md: trimmed to the versions used, descriptions removed; enough to install).
 * Knative's own CRDs come with Knative Serving: replacing them with the trimmed copies would drop versions.
 */
export const PREREQUISITE_CRDS = [
  'kserve/serving.kserve.io_inferenceservices.yaml',
  'kserve/serving.kserve.io_clusterservingruntimes.yaml',
  'gateway-api-inference-extension/inference.networking.k8s.io_inferencepools.yaml',
  'gateway-api/gateway.networking.k8s.io_httproutes.yaml',
  'cert-manager/cert-manager.io_certificates.yaml',
  'cert-manager/cert-manager.io_issuers.yaml',
];

export function prerequisiteCrds(): Obj[] {
  return PREREQUISITE_CRDS.flatMap((f) => loadYamlDocuments(path.join(REPO_ROOT, 'schemas', 'crds', f)) as Obj[]);
}

export interface WebhookEndpoint {
  /** https://127.0.0.1:PORT */
  baseUrl: string;
  caPem: string;
}

/** `kustomize build manifests/overlays/default`, with the webhook configuration pointed at `endpoint`. */
export function manifestObjects(endpoint: WebhookEndpoint): Obj[] {
  const objs = kustomizeBuild(path.join(REPO_ROOT, 'manifests', 'overlays', 'default')) as Obj[];
  for (const o of objs) if (o.kind === 'MutatingWebhookConfiguration') pointAt(o, endpoint);
  return objs;
}

function pointAt(mwc: Obj, endpoint: WebhookEndpoint): void {
  for (const w of mwc.webhooks as Array<Record<string, any>>) {
    const svc = w.clientConfig.service;
    w.clientConfig = {
      url: `${endpoint.baseUrl}${svc.path}`,
      caBundle: Buffer.from(endpoint.caPem).toString('base64'),
    };
  }
}

/** Marks what an install applied, so a later run skips re-sending a CRD it already holds (the InferenceService
 * CRD is 2 MB; a server-side apply of it takes seconds even when nothing changes). */
const CONTENT_HASH = 'e2e.kserve-llmd.io/content-hash';

export async function installCrds(kube: Kube): Promise<Obj[]> {
  const crds = prerequisiteCrds();
  for (const crd of crds) {
    const hash = createHash('sha256').update(JSON.stringify(crd)).digest('hex').slice(0, 16);
    const live = await kube.getMeta(crd.apiVersion, crd.kind, undefined, crd.metadata.name!);
    if (live?.metadata.annotations?.[CONTENT_HASH] === hash) continue;
    crd.metadata.annotations = { ...crd.metadata.annotations, [CONTENT_HASH]: hash };
    await kube.apply(crd, 'kserve-llmd-e2e-install');
  }
  for (const crd of crds) {
    // Established: the API server serves the kind (discovery lists it).
    const version = crd.spec.versions[0].name;
    await eventually(`CRD ${crd.metadata.name} served`, () =>
      kube.resource(`${crd.spec.group}/${version}`, crd.spec.names.kind).then(() => true),
    );
  }
  return crds;
}

/** Namespaces first (everything else lives in one), then the rest in the kustomization's order. */
export async function installManifests(kube: Kube, endpoint: WebhookEndpoint): Promise<Obj[]> {
  const objs = manifestObjects(endpoint);
  const order = (o: Obj): number => (o.kind === 'Namespace' ? 0 : 1);
  for (const o of [...objs].sort((a, b) => order(a) - order(b))) await kube.apply(o, 'kserve-llmd-e2e-install');
  return objs;
}

/**
 * Knative settings the install needs: the feature gates the runtimes use (docs/install.md "Knative feature gates
 * the runtimes need"), and, for a control plane without registry access, the runtimes' registry in
 * registries-skipping-tag-resolving (Knative otherwise resolves image tags to digests by asking the registry and
 * fails the revision: config-deployment, Knative pkg/reconciler/revision/resolve.go).
 */
export async function configureKnative(kube: Kube): Promise<void> {
  const features = {
    'kubernetes.podspec-nodeselector': 'enabled',
    'kubernetes.podspec-tolerations': 'enabled',
    'kubernetes.podspec-securitycontext': 'enabled',
  };
  await kube.patch(
    { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'knative-serving', name: 'config-features' },
    { data: features },
  );
  const cm = await kube.get('v1', 'ConfigMap', 'knative-serving', 'config-deployment');
  const key = 'registries-skipping-tag-resolving';
  const have = String(cm?.data?.[key] ?? 'kind.local,ko.local,dev.local')
    .split(',')
    .filter(Boolean);
  const want = [...new Set([...have, 'docker.io', 'index.docker.io'])];
  if (want.length !== have.length) {
    await kube.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'knative-serving', name: 'config-deployment' },
      { data: { [key]: want.join(',') } },
    );
  }
}

/** The install's webhook configuration as applied. */
export function webhookConfiguration(endpoint: WebhookEndpoint): Obj {
  return manifestObjects(endpoint).find((o) => o.kind === 'MutatingWebhookConfiguration')!;
}

export async function removeWebhookConfiguration(kube: Kube): Promise<void> {
  await kube.delete({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    name: WEBHOOK_CONFIGURATION_NAME,
  });
}

/**
 * True once the API server calls our webhook: an opted-in InferenceService with an invalid annotation is
 * denied by it (dry run: nothing is stored). Webhook configuration changes reach the API server through an
 * informer, so there is a short delay after each change.
 */
export async function webhookActive(kube: Kube, namespace = 'default'): Promise<boolean> {
  try {
    await kube.create(probeIsvc(namespace), { dryRun: true });
    return false;
  } catch (err) {
    return err instanceof KubeError && err.message.includes('kserve-llmd.io/routing');
  }
}

export function probeIsvc(namespace: string): Obj {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'e2e-webhook-probe', namespace, annotations: { 'kserve-llmd.io/routing': 'no-such-mode' } },
    spec: { predictor: { model: { modelFormat: { name: 'vLLM' }, storageUri: 'hf://e2e/probe' } } },
  };
}

/** A token for one of the install's ServiceAccounts (TokenRequest, 1 h). */
export async function serviceAccountToken(kube: Kube, name: string, namespace = INSTALL_NAMESPACE): Promise<string> {
  const res = await kube.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  return res.status.token as string;
}

/** The examples' InferenceServices (every document of kind InferenceService under examples/). */
export function exampleIsvcs(): Array<{ file: string; isvc: Obj }> {
  const out: Array<{ file: string; isvc: Obj }> = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSorted(dir)) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name) && !entry.name.startsWith('kustomization'))
        for (const d of loadYamlDocuments(full) as Obj[])
          if (d.kind === 'InferenceService') out.push({ file: path.relative(REPO_ROOT, full), isvc: d });
    }
  };
  walk(path.join(REPO_ROOT, 'examples'));
  return out;
}

function readdirSorted(dir: string): Dirent[] {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
}
