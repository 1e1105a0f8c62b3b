/**
 * What every scenario starts from: kserve-llmd installed (support/install.ts) with its webhook running as a
 * local `kserve-llmd webhook` process and registered, and a namespace of its own that is deleted afterwards.
 * Scenarios run one at a time (jest.e2e.config.js: one worker): the webhook configuration is cluster-wide.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import yaml from 'js-yaml';
import path from 'node:path';
import { Agent, request } from 'undici';
import { INSTALL_NAMESPACE } from '../../core/names.js';
import { kubeconfigPath, REPO_ROOT } from './env.js';
import {
  configureKnative,
  installCrds,
  installManifests,
  removeWebhookConfiguration,
  serviceAccountToken,
  webhookActive,
  type WebhookEndpoint,
} from './install.js';
import { eventually, Kube, ref, tokenKubeconfig, type Obj } from './kube.js';
import { freePort, startComponent, waitReady, type Component } from './process.js';
import { makeWebhookTls } from './tls.js';

export const NS_LABEL = 'e2e.kserve-llmd.io/scenario';

export interface Stack {
  kube: Kube;
  endpoint: WebhookEndpoint;
  webhook: Component;
  /** Objects the install applied (manifests/overlays/default, webhook configuration re-pointed). */
  installed: Obj[];
  /** A namespace of the scenario's own, deleted by close(). */
  namespace(scenario: string): Promise<string>;
  /** Unregisters the webhook, deletes the scenario's namespaces, stops the webhook (each step even if one fails). */
  close(): Promise<void>;
}

/** GET url over HTTPS trusting only `caPem`; true on 200. */
export async function httpsOk(url: string, caPem: string): Promise<boolean> {
  const agent = new Agent({ connect: { ca: caPem } });
  try {
    const res = await request(url, { dispatcher: agent, signal: AbortSignal.timeout(2_000) });
    await res.body.dump();
    return res.statusCode === 200;
  } finally {
    await agent.close();
  }
}

export interface WebhookOptions {
  /**
   * docs/install.md "Native sidecars": `true` for a 1.28 cluster whose API server (and kubelets) run the
   * SidecarContainers gate, as the main control plane does; `auto` reads the API server's version.
   */
  nativeSidecars: 'true' | 'auto';
  /** For `auto`: the kubeconfig the webhook reads /version with (its ServiceAccount's, in a cluster). */
  kubeconfig?: string;
}

export async function startWebhook(
  opts: WebhookOptions = { nativeSidecars: 'true' },
): Promise<{ webhook: Component; endpoint: WebhookEndpoint }> {
  const tls = await makeWebhookTls();
  const port = await freePort();
  // The install's own config file (manifests/base/config/webhook.yaml, mounted in the Deployment); flags win.
  const webhook = startComponent('webhook', [
    'webhook',
    '--config',
    path.join(REPO_ROOT, 'manifests', 'base', 'config', 'webhook.yaml'),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--metrics-port',
    '0',
    '--cert-dir',
    tls.certDir,
    '--native-sidecars',
    opts.nativeSidecars,
    ...(opts.kubeconfig ? ['--kubeconfig', opts.kubeconfig] : []),
  ]);
  const endpoint = { baseUrl: `https://127.0.0.1:${port}`, caPem: tls.caPem };
  await waitReady(webhook, 'serving /readyz with the test CA', () => httpsOk(`${endpoint.baseUrl}/readyz`, tls.caPem));
  return { webhook, endpoint };
}

export async function startStack(): Promise<Stack> {
  const file = kubeconfigPath();
  if (!file) throw new Error('KSERVE_LLMD_E2E_KUBECONFIG is not set');
  const kube = Kube.fromFile(file);
  await cleanUpAbortedRun(kube);
  const { webhook, endpoint } = await startWebhook();
  await installCrds(kube);
  const installed = await installManifests(kube, endpoint);
  await configureKnative(kube);
  await eventually('the API server calling the webhook', () => webhookActive(kube), 30_000, 250);
  const namespaces: string[] = [];
  return {
    kube,
    endpoint,
    webhook,
    installed,
    async namespace(scenario) {
      const ns = await createNamespace(kube, scenario);
      namespaces.push(ns);
      return ns;
    },
    async close() {
      // Unregister first: a finalizer on a service the webhook denies could otherwise not be removed.
      const steps = [
        () => removeWebhookConfiguration(kube),
        ...namespaces.map((ns) => () => deleteNamespace(kube, ns)),
        () => webhook.stop(),
        () => kube.close(),
      ];
      const errors: unknown[] = [];
      for (const step of steps) await step().catch((err: unknown) => errors.push(err));
      if (errors.length > 0) throw errors[0];
    },
  };
}

export async function createNamespace(kube: Kube, scenario: string): Promise<string> {
  const name = `e2e-${scenario}-${Math.random().toString(36).slice(2, 7)}`;
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [NS_LABEL]: scenario } } });
  return name;
}

/**
 * Deletes a namespace and what would keep it terminating forever: pods (no kubelet confirms their termination:
 * force-deleted) and the finalizers tests put on InferenceServices (no controller removes them).
 */
export async function deleteNamespace(kube: Kube, name: string, timeoutMs = 90_000): Promise<void> {
  await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name });
  await eventually(
    `namespace ${name} deleted`,
    async () => {
      await reap(kube, name);
      return (await kube.get('v1', 'Namespace', undefined, name)) === undefined;
    },
    timeoutMs,
    500,
  );
}

/** One pass over what keeps a terminating namespace: pods and finalizers on InferenceServices. */
async function reap(kube: Kube, ns: string): Promise<void> {
  for (const pod of await kube.list('v1', 'Pod', ns).catch(() => []))
    await kube.delete(
      { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod.metadata.name! },
      {
        gracePeriodSeconds: 0,
      },
    );
  for (const isvc of await kube.list('serving.kserve.io/v1beta1', 'InferenceService', ns).catch(() => []))
    if (isvc.metadata.finalizers?.length)
      await kube.patch(ref(isvc), { metadata: { finalizers: null } }).catch(() => undefined);
}

/** What an aborted run left behind: its webhook registration (pointing at a dead process) and namespaces. */
async function cleanUpAbortedRun(kube: Kube): Promise<void> {
  await removeWebhookConfiguration(kube);
  for (const ns of await kube.list('v1', 'Namespace', undefined, NS_LABEL)) {
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name! });
    await reap(kube, ns.metadata.name!);
  }
}

const tokenDir = mkdtempSync(path.join(tmpdir(), 'kserve-llmd-e2e-kubeconfigs-'));

/** A kubeconfig file for one of the install's ServiceAccounts (the identity the Deployment would run as). */
export async function serviceAccountKubeconfig(kube: Kube, serviceAccount: string): Promise<string> {
  const token = await serviceAccountToken(kube, serviceAccount);
  const file = path.join(tokenDir, `${serviceAccount}.kubeconfig`);
  writeFileSync(file, tokenKubeconfig(kube.creds, token, INSTALL_NAMESPACE), { mode: 0o600 });
  return file;
}

/** GET url over plain HTTP; the body on 200, else undefined. */
export async function httpText(url: string): Promise<string | undefined> {
  try {
    const res = await request(url, { signal: AbortSignal.timeout(2_000) });
    const text = await res.body.text();
    return res.statusCode === 200 ? text : undefined;
  } catch {
    return undefined;
  }
}

/** `kserve-llmd controller` as its ServiceAccount, watching `namespace`. */
export async function startController(kube: Kube, namespace: string, extra: string[] = []): Promise<Component> {
  const kubeconfig = await serviceAccountKubeconfig(kube, 'kserve-llmd-controller');
  const port = await freePort();
  const c = startComponent('controller', [
    'controller',
    '--kubeconfig',
    kubeconfig,
    '--namespace',
    namespace,
    '--metrics-port',
    String(port),
    ...extra,
  ]);
  await waitReady(c, '/healthz', async () => (await httpText(`http://127.0.0.1:${port}/healthz`)) !== undefined);
  return Object.assign(c, { metricsUrl: `http://127.0.0.1:${port}/metrics` });
}

export interface AutoscalerProcess extends Component {
  metricsUrl: string;
  /** Its leader-election identity (autoscaler/main.ts: hostname-pid). */
  identity: string;
}

/**
 * `kserve-llmd autoscaler` as its ServiceAccount with the install's config file
 * (manifests/base/config/autoscaler.yaml) and `overrides` on top, /metrics on a free loopback port.
 */
export async function startAutoscaler(
  kube: Kube,
  name: string,
  overrides: Record<string, unknown>,
): Promise<AutoscalerProcess> {
  const kubeconfig = await serviceAccountKubeconfig(kube, 'kserve-llmd-autoscaler');
  const base = yaml.load(
    readFileSync(path.join(REPO_ROOT, 'manifests', 'base', 'config', 'autoscaler.yaml'), 'utf8'),
  ) as Record<string, unknown>;
  const port = await freePort();
  const file = path.join(tokenDir, `${name}.yaml`);
  writeFileSync(file, yaml.dump({ ...base, ...overrides, metrics: { host: '127.0.0.1', port } }));
  const c = startComponent(name, ['autoscaler', '--config', file, '--kubeconfig', kubeconfig]);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await waitReady(c, '/healthz', async () => (await httpText(`http://127.0.0.1:${port}/healthz`)) !== undefined);
  return Object.assign(c, { metricsUrl, identity: `${hostname()}-${c.child.pid}` });
}
