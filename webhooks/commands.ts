/** The `webhook` and `render` subcommands: flags → config → the pure cores, with I/O only here. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { defaultWebhookConfig, loadWebhookConfigFile, parseWebhookConfig, type WebhookConfig } from '../src/config.js';
import { UsageError, type CommandSpec, type FlagValues } from '../src/cli/args.js';
import { processIo, type CliIo } from '../src/cli/io.js';
import { createLogger, type LogLevel } from '../src/log.js';
import { createIsvcHandler, ISVC_PATH } from './isvc/handler.js';
import { createPodHandler, POD_PATH } from './pod/handler.js';
import { renderManifests } from './render/render.js';
import { installSignalHandlers, startWebhookServer } from './server.js';

const CONFIG_FLAGS: CommandSpec['flags'] = [
  { name: 'config', type: 'string', help: 'YAML config file (examples/config.yaml lists every key)' },
  {
    name: 'default-deployment-mode',
    type: 'string',
    help: "KServe's cluster default deployment mode",
    choices: ['Knative', 'Standard', 'ModelMesh'],
  },
  { name: 'request-timeout-seconds', type: 'int', help: 'predictor timeout set when unset', min: 1, max: 3600 },
];

export const WEBHOOK_COMMAND: CommandSpec = {
  name: 'webhook',
  summary: `Serve the mutating admission webhooks over HTTPS: ${ISVC_PATH} (InferenceService) and ${POD_PATH} (Pod), plus /healthz, /readyz, /metrics.`,
  usage: 'kserve-llmd webhook [--port 8443] [--host 0.0.0.0] [--cert-dir DIR] [--config FILE]',
  flags: [
    { name: 'port', type: 'int', help: 'HTTPS port', min: 1, max: 65535 },
    { name: 'host', type: 'string', help: 'address to listen on' },
    {
      name: 'cert-dir',
      type: 'string',
      help: 'directory with tls.crt and tls.key, reloaded on rotation; without it a self-signed certificate is generated',
    },
    { name: 'log-level', type: 'string', help: 'log level', choices: ['debug', 'info', 'warn', 'error'] },
    ...CONFIG_FLAGS,
  ],
};

export const RENDER_COMMAND: CommandSpec = {
  name: 'render',
  summary:
    "Apply the InferenceService mutation to YAML documents and print the result, with what each role's pods get as comments. Exits 1 when an annotation is invalid.",
  usage: 'kserve-llmd render -f FILE|- [--config FILE]',
  flags: [
    {
      name: 'filename',
      alias: 'f',
      type: 'string',
      help: 'YAML file with one or more documents, or - for standard input',
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
    host: 'host',
    'cert-dir': 'certDir',
    'log-level': 'logLevel',
    'default-deployment-mode': 'defaultDeploymentMode',
    'request-timeout-seconds': 'requestTimeoutSeconds',
  };
  for (const [flag, key] of Object.entries(map)) if (values[flag] !== undefined) overrides[key] = values[flag];
  return parseWebhookConfig(overrides, base);
}

export async function runWebhook(values: FlagValues, io: CliIo = processIo()): Promise<void> {
  const config = resolveConfig(values);
  const logger = createLogger({ level: config.logLevel as LogLevel, stream: io.stdout });
  const handlers = { [ISVC_PATH]: createIsvcHandler(config), [POD_PATH]: createPodHandler(config.injection) };
  const server = await startWebhookServer({
    host: config.host,
    port: config.port,
    certDir: config.certDir,
    handlers,
    logger,
  });
  installSignalHandlers(server.close, logger);
  logger.info('webhook serving', { url: server.url, paths: [ISVC_PATH, POD_PATH], certDir: config.certDir ?? null });
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
      `  curl -sS --cacert ${dir}/ca.crt -H 'Content-Type: application/json' --data @${dir}/review.json ${local}${ISVC_PATH}\n` +
      `  (decode the patch: ... | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(Buffer.from(JSON.parse(s).response.patch,'base64').toString()))")\n\n`,
  );
}

export function runRender(values: FlagValues, rest: string[], io: CliIo = processIo()): number {
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]} (use -f FILE)`);
  const file = values.filename;
  if (typeof file !== 'string') throw new UsageError('-f FILE or -f - is required');
  const config = resolveConfig(values);
  let text: string;
  try {
    text = file === '-' ? io.readStdin() : readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const result = renderManifests(text, config, file === '-' ? 'stdin' : file);
  for (const w of result.warnings) io.stderr.write(`kserve-llmd render: warning: ${w}\n`);
  for (const e of result.errors) io.stderr.write(`kserve-llmd render: ${e}\n`);
  io.stdout.write(result.output);
  return result.errors.length > 0 ? 1 : 0;
}
