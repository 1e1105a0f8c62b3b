/** The `webhook` and `render` subcommands: flags → config → the pure cores, with I/O only here. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Registry } from 'prom-client';
import { defaultWebhookConfig, loadWebhookConfigFile, parseWebhookConfig, type WebhookConfig } from '../src/config.js';
import { type CommandSpec, type FlagValues } from '../src/cli-args.js';
import { processIo, type CliIo } from '../src/cli-io.js';
import { createKubeClient, loadKubeConfig } from '../src/kube.js';
import { createLogger, type Logger, type LogLevel } from '../src/log.js';
import type { AdmissionHandler } from './admission-types.js';
import { createRegistry } from '../src/metrics.js';
import { podWebhookMetrics } from './metrics.js';
import { createIsvcHandler, ISVC_PATH } from './isvc/handler.js';
import type { ClusterFeatures } from './pod/context.js';
import { createPodHandler, POD_PATH } from './pod/handler.js';
import { decideNativeSidecars, discoverServerVersion, NATIVE_SIDECARS_SETTINGS } from './pod/native-sidecars.js';
import { installSignalHandlers, startWebhookServer } from './server.js';

export const CONFIG_FLAGS: CommandSpec['flags'] = [
  { name: 'config', type: 'string', help: 'YAML config file (examples/config.yaml lists every key)' },
  {
    name: 'default-deployment-mode',
    type: 'string',
    help: "KServe's cluster default deployment mode",
    choices: ['Knative', 'Standard', 'ModelMesh'],
  },
  { name: 'request-timeout-seconds', type: 'int', help: 'predictor timeout set when unset', min: 1, max: 3600 },
  {
    name: 'native-sidecars',
    type: 'string',
    help: "routing sidecar as a native sidecar: auto (by the API server's version; render assumes yes), true, false",
    choices: [...NATIVE_SIDECARS_SETTINGS],
  },
];

export const WEBHOOK_COMMAND: CommandSpec = {
  name: 'webhook',
  summary:
    `Serve the mutating admission webhooks over HTTPS: ${ISVC_PATH} (InferenceService) and ${POD_PATH} (Pod), ` +
    'plus /healthz, /readyz; /metrics on a separate HTTP port.',
  usage: 'kserve-llmd webhook [--port 8443] [--metrics-port 8081] [--host 0.0.0.0] [--cert-dir DIR] [--config FILE]',
  flags: [
    { name: 'port', type: 'int', help: 'HTTPS port', min: 1, max: 65535 },
    { name: 'metrics-port', type: 'int', help: 'HTTP port for /metrics (0: any free port)', min: 0, max: 65535 },
    { name: 'host', type: 'string', help: 'address to listen on' },
    {
      name: 'cert-dir',
      type: 'string',
      help:
        'directory with tls.crt and tls.key, reloaded on rotation; ' +
        'without it a self-signed certificate is generated',
    },
    { name: 'log-level', type: 'string', help: 'log level', choices: ['debug', 'info', 'warn', 'error'] },
    {
      name: 'kubeconfig',
      type: 'string',
      help: "kubeconfig to read the API server's version with --native-sidecars=auto (default: in-cluster)",
    },
    ...CONFIG_FLAGS,
  ],
};

/** Config file, then flags on top (flags win). */
export function resolveConfig(values: FlagValues): WebhookConfig {
  const base = typeof values.config === 'string' ? loadWebhookConfigFile(values.config) : defaultWebhookConfig();
  const overrides: Record<string, unknown> = {};
  const map: Record<string, string> = {
    port: 'port',
    'metrics-port': 'metricsPort',
    host: 'host',
    'cert-dir': 'certDir',
    'log-level': 'logLevel',
    'default-deployment-mode': 'defaultDeploymentMode',
    'request-timeout-seconds': 'requestTimeoutSeconds',
    'native-sidecars': 'nativeSidecars',
  };
  for (const [flag, key] of Object.entries(map)) if (values[flag] !== undefined) overrides[key] = values[flag];
  return parseWebhookConfig(overrides, base);
}

/**
 * What the pod webhook may emit on this cluster, learned once at start (webhooks/pod/native-sidecars.ts). With
 * `auto` the API server's version is read with the pod's service-account token (or --kubeconfig); a failure
 * falls back to the layout every Kubernetes version accepts.
 */
export async function learnClusterFeatures(
  setting: WebhookConfig['nativeSidecars'],
  getVersion: () => Promise<unknown>,
  logger: Logger,
  retry: { attempts?: number; delayMs?: number } = {},
): Promise<ClusterFeatures> {
  const discovered = setting === 'auto' ? await discoverServerVersion(getVersion, retry) : {};
  const decision = decideNativeSidecars(setting, discovered);
  const fields = { native: decision.native, reason: decision.reason };
  if (decision.warn) logger.warn('routing sidecar layout', fields);
  else logger.info('routing sidecar layout', fields);
  return { nativeSidecars: decision.native };
}

/** GET /version with the process's credentials (--kubeconfig, $KUBECONFIG, in-cluster, ~/.kube/config). */
export async function apiServerVersion(kubeconfig: string | undefined): Promise<unknown> {
  const client = createKubeClient(await loadKubeConfig({ kubeconfig }), { timeoutMs: 3_000 });
  try {
    return await client.version();
  } finally {
    await client.close();
  }
}

/** The two admission handlers as the webhook process runs them, with the pod webhook's metrics on `registry`. */
export function webhookHandlers(
  config: WebhookConfig,
  cluster: ClusterFeatures,
  registry: Registry,
  logger: Logger,
): Record<string, AdmissionHandler> {
  const podMetrics = podWebhookMetrics(registry);
  podMetrics.nativeSidecars.set(cluster.nativeSidecars ? 1 : 0);
  const podHandler = createPodHandler(config.injection, {
    cluster,
    onError(err, request) {
      podMetrics.mutationErrors.inc();
      logger.error('pod mutation failed; pod admitted unchanged', {
        uid: request.uid,
        namespace: request.namespace,
        name: request.name,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    },
  });
  return { [ISVC_PATH]: createIsvcHandler(config), [POD_PATH]: podHandler };
}

export async function runWebhook(values: FlagValues, io: CliIo = processIo()): Promise<void> {
  const config = resolveConfig(values);
  const logger = createLogger({ level: config.logLevel as LogLevel, stream: io.stdout });
  const kubeconfig = typeof values.kubeconfig === 'string' ? values.kubeconfig : undefined;
  const cluster = await learnClusterFeatures(config.nativeSidecars, () => apiServerVersion(kubeconfig), logger);
  const registry = createRegistry();
  const handlers = webhookHandlers(config, cluster, registry, logger);
  const server = await startWebhookServer({
    host: config.host,
    port: config.port,
    metricsPort: config.metricsPort,
    certDir: config.certDir,
    handlers,
    logger,
    registry,
    drainDelayMs: config.drainDelaySeconds * 1000,
    shutdownTimeoutMs: config.shutdownTimeoutSeconds * 1000,
  });
  installSignalHandlers(server.close, logger);
  logger.info('webhook serving', {
    url: server.url,
    metrics: server.metricsUrl ?? null,
    paths: [ISVC_PATH, POD_PATH],
    certDir: config.certDir ?? null,
  });
  if (server.selfSigned) printTryIt(server.url, server.selfSigned.cert, io);
}

/** For `npm start`: write the self-signed CA and an example AdmissionReview, and print a curl that sends it. */
function printTryIt(url: string, cert: string, io: CliIo): void {
  const dir = mkdtempSync(join(tmpdir(), 'kserve-llmd-'));
  const example = yaml.load(readFileSync(new URL('../examples/nvidia-basic.yaml', import.meta.url), 'utf8'));
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '6f1c1c9e-0000-4000-8000-000000000001',
      kind: { group: 'serving.kserve.io', version: 'v1beta1', kind: 'InferenceService' },
      resource: { group: 'serving.kserve.io', version: 'v1beta1', resource: 'inferenceservices' },
      namespace: 'models',
      name: 'llama-8b',
      operation: 'CREATE',
      object: example,
    },
  };
  writeFileSync(join(dir, 'ca.crt'), cert);
  writeFileSync(join(dir, 'review.json'), JSON.stringify(review, null, 2));
  const local = url.replace('0.0.0.0', '127.0.0.1');
  io.stderr.write(
    `\nTry it (self-signed certificate in ${dir}/ca.crt):\n` +
      (`  curl -sS --cacert ${dir}/ca.crt -H 'Content-Type: ` +
        `application/json' --data ` +
        `@${dir}/review.json ${local}${ISVC_PATH}\n`) +
      (`  (decode the patch: ... | node -e "let ` +
        `s='';process.stdin.on('data',d=>s+=d).on('end',` +
        `()=>console.log(Buffer.from(JSON.parse(s).response.patch,'base64').toString()))")\n\n`),
  );
}
