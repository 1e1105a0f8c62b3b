/**
 * The webhook Deployment and MutatingWebhookConfiguration against the real webhook server: the process is
 * started from the Deployment's own arguments (cert dir and config file laid out as kubelet mounts the
 * Secret and the ConfigMap), then probed on the Deployment's probe paths and called on the configuration's
 * webhook paths over HTTPS on 127.0.0.1, trusting only the certificate in the mounted directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseFlags } from '../../src/cli-args.js';
import { createLogger } from '../../src/log.js';
import { WEBHOOK_CONFIGURATION_NAME } from '../../core/names.js';
import { resolveConfig, WEBHOOK_COMMAND } from '../../webhooks/commands.js';
import { createIsvcHandler, ISVC_PATH } from '../../webhooks/isvc/handler.js';
import { createPodHandler, POD_PATH } from '../../webhooks/pod/handler.js';
import { startWebhookServer, type WebhookServer } from '../../webhooks/server.js';
import { knativePod, review } from '../support/fixtures.js';
import { createClient, type TestClient } from '../support/https-client.js';
import type { KObject } from '../support/kustomize.js';
import { certFor, kubeletWrite, makeCertDir, type CertDir } from '../support/tls.js';
import { build, one } from './helpers.js';

const install = (): KObject[] => build('manifests/overlays/default');
const deployment = (): KObject => one(install(), 'Deployment', 'kserve-llmd-webhook');

let certs: CertDir;
let configDir: string;
let server: WebhookServer;
let client: TestClient;
let ca: string;

beforeAll(async () => {
  const pair = await certFor('kserve-llmd-webhook.kserve-llmd.svc');
  ca = pair.cert;
  certs = await makeCertDir(pair);
  configDir = await mkdtemp(path.join(tmpdir(), 'kserve-llmd-config-'));
  await kubeletWrite(configDir, one(install(), 'ConfigMap', 'kserve-llmd-config').data as Record<string, string>);

  // The container's args, with the mount paths pointed at the directories written above.
  const container = deployment().spec.template.spec.containers[0];
  const mounts = Object.fromEntries((container.volumeMounts as KObject[]).map((m) => [m.name, m.mountPath as string]));
  const local: Record<string, string> = { [mounts.tls!]: certs.dir, [mounts.config!]: configDir };
  const args = (container.args as string[])
    .slice(1)
    .map((a) => Object.entries(local).reduce((acc, [from, to]) => acc.replace(from, to), a));
  const config = resolveConfig(parseFlags(args, WEBHOOK_COMMAND).values);
  const handlers = { [ISVC_PATH]: createIsvcHandler(config), [POD_PATH]: createPodHandler(config.injection) };
  // Port 0 on loopback: the test cannot bind 8443; everything else is what the pod runs.
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certDir: config.certDir,
    handlers,
    logger: createLogger({ level: 'error' }),
  });
  expect(config.certDir).toBe(certs.dir);
  client = createClient(server.url, { ca });
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await certs?.cleanup();
  await rm(configDir, { recursive: true, force: true });
});

describe('the webhook process as the manifests run it', () => {
  it('answers every probe the Deployment declares, over HTTPS with the mounted certificate', async () => {
    const container = deployment().spec.template.spec.containers[0];
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const get = container[probe].httpGet;
      expect(get.scheme).toBe('HTTPS');
      const res = await client.request('GET', get.path);
      expect([probe, res.status]).toEqual([probe, 200]);
    }
  });

  it('admits on the paths the MutatingWebhookConfiguration calls', async () => {
    const webhooks = one(install(), 'MutatingWebhookConfiguration', WEBHOOK_CONFIGURATION_NAME).webhooks as KObject[];
    const sample = one(build('examples/gitops/sample'), 'InferenceService', 'llama-8b');
    const pod = knativePod(
      { 'kserve-llmd.io/pool': 'llama-8b', 'llm-d.ai/role': 'prefill-decode', 'llm-d.ai/model': 'llama-8b' },
      { 'kserve-llmd.io/routing': 'precise-prefix' },
    );
    const reviews: Record<string, unknown> = {
      'inferenceservice.kserve-llmd.io': review(sample, 'CREATE'),
      'pod.kserve-llmd.io': review(pod, 'CREATE', 'Pod'),
    };
    for (const w of webhooks) {
      const res = await client.postJson(w.clientConfig.service.path, reviews[w.name]);
      expect([w.name, res.status]).toEqual([w.name, 200]);
      const response = (res.body as { response: { allowed: boolean; patchType?: string } }).response;
      expect([w.name, response.allowed, response.patchType]).toEqual([w.name, true, 'JSONPatch']);
    }
  });
});
