/**
 * The routing sidecar on clusters with and without native sidecars. The webhook learns the API server's version
 * at start (a real loopback server answering GET /version here) and never emits a pod that a Kubernetes 1.28 API
 * server without the SidecarContainers gate rejects; `nativeSidecars: true|false` decides without asking.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fastJsonPatch from 'fast-json-patch';
import { defaultWebhookConfig, parseWebhookConfig } from '../../src/config.js';
import { createKubeClient, kubeConfigForServer } from '../../src/kube.js';
import { createLogger, type Logger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import type { AdmissionResponse } from '../../webhooks/admission-types.js';
import type { Container, Pod, PodSpec } from '../../src/types/kube.js';
import { apiServerVersion, learnClusterFeatures, webhookHandlers } from '../../webhooks/commands.js';
import { POD_PATH } from '../../webhooks/pod/handler.js';
import { decideNativeSidecars, parseServerVersion } from '../../webhooks/pod/native-sidecars.js';
import { knativePod, review } from '../support/fixtures.js';
import { expectValid } from '../support/schema.js';
import { fakeKubeconfig } from '../support/kubeconfig.js';

/**
 * What a Kubernetes v1.28 API server without the SidecarContainers gate does to a pod: it drops
 * initContainers[].restartPolicy (pkg/api/pod/util.go dropDisabledPodFields), then rejects probes and lifecycle
 * on what is now a plain init container (pkg/apis/core/validation/validation.go validateInitContainers:
 * "may not be set for init containers without restartPolicy=Always").
 */
const FORBIDDEN = 'Forbidden: may not be set for init containers without restartPolicy=Always';
function apiServer128WithoutGate(spec: PodSpec): string[] {
  const errors: string[] = [];
  (spec.initContainers ?? []).forEach((c, i) => {
    for (const field of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'])
      if (c[field] !== undefined) errors.push(`spec.initContainers[${i}].${field}: ${FORBIDDEN}`);
  });
  return errors;
}

function lines(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      records.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', stream }), records };
}

const DECODE = {
  'kserve-llmd.io/pool': 'llama',
  'llm-d.ai/role': 'decode',
  'llm-d.ai/model': 'llama',
  'llm-d.ai/inference-serving': 'true',
};
const decodePod = (): Pod => knativePod(DECODE, { 'kserve-llmd.io/disaggregation': 'prefill-decode' });

function admitted(handlers: ReturnType<typeof webhookHandlers>, pod: Pod): { response: AdmissionResponse; pod: Pod } {
  const response = handlers[POD_PATH]!(review(pod, 'CREATE', 'Pod').request!);
  const ops = response.patch ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) : [];
  return { response, pod: fastJsonPatch.applyPatch(structuredClone(pod), ops, true, false).newDocument as Pod };
}

describe('GET /version from a loopback API server decides the layout (nativeSidecars: auto)', () => {
  let server: Server;
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  let url: string;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function learn(status: number, body: unknown) {
    answer = { status, body };
    paths.length = 0;
    const client = createKubeClient(kubeConfigForServer(url), { timeoutMs: 2_000 });
    const { logger, records } = lines();
    try {
      const cluster = await learnClusterFeatures('auto', () => client.version(), logger, { attempts: 2, delayMs: 0 });
      return { cluster, records };
    } finally {
      await client.close();
    }
  }

  it.each([
    ['v1.28.7', { major: '1', minor: '28', gitVersion: 'v1.28.7' }, false],
    ['v1.27.16', { major: '1', minor: '27', gitVersion: 'v1.27.16' }, false],
    ['v1.29.0', { major: '1', minor: '29', gitVersion: 'v1.29.0' }, true],
    ['GKE v1.30.5-gke.1014001 (minor "30+")', { major: '1', minor: '30+', gitVersion: 'v1.30.5-gke.1014001' }, true],
  ])('%s → native sidecars %s', async (_label, body, native) => {
    const { cluster, records } = await learn(200, body);
    expect(cluster).toEqual({ nativeSidecars: native });
    expect(paths).toEqual(['GET /version Bearer test-token']);
    const line = records.find((r) => r.msg === 'routing sidecar layout')!;
    expect(line).toMatchObject({ level: native ? 'info' : 'warn', native });
    if (!native) expect(String(line.reason)).toMatch(/regular container/);
  });

  it('an API server that fails: retried, then the layout every version accepts, with a warning', async () => {
    const { cluster, records } = await learn(500, { kind: 'Status', reason: 'InternalError', message: 'boom' });
    expect(cluster).toEqual({ nativeSidecars: false });
    expect(paths).toHaveLength(2);
    expect(records.find((r) => r.msg === 'routing sidecar layout')).toMatchObject({
      level: 'warn',
      reason: expect.stringMatching(/version is unknown .*boom.*set nativeSidecars to decide/),
    });
  });

  it('a kubeconfig file (the webhook’s --kubeconfig) reaches the same server with its credentials', async () => {
    answer = { status: 200, body: { major: '1', minor: '29', gitVersion: 'v1.29.3' } };
    paths.length = 0;
    const dir = await mkdtemp(join(tmpdir(), 'kserve-llmd-kc-'));
    const file = join(dir, 'kubeconfig');
    await writeFile(file, fakeKubeconfig(url, 'kc-token'));
    try {
      expect(parseServerVersion(await apiServerVersion(file))).toEqual({ major: 1, minor: 29, gitVersion: 'v1.29.3' });
      expect(paths).toEqual(['GET /version Bearer kc-token']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('true and false decide without asking the API server', async () => {
    const { logger } = lines();
    const never = (): Promise<unknown> => Promise.reject(new Error('must not be called'));
    await expect(learnClusterFeatures('true', never, logger)).resolves.toEqual({ nativeSidecars: true });
    await expect(learnClusterFeatures('false', never, logger)).resolves.toEqual({ nativeSidecars: false });
  });
});

describe('the decode pod in both layouts', () => {
  const config = defaultWebhookConfig();
  const handlersFor = (native: boolean) =>
    webhookHandlers(config, { nativeSidecars: native }, createRegistry(), lines().logger);

  it('native: an init container with restartPolicy Always, which a 1.28 API server without the gate rejects', () => {
    const { pod } = admitted(handlersFor(true), decodePod());
    expectValid(pod);
    const sidecar = pod.spec!.initContainers![0]!;
    expect(sidecar).toMatchObject({ name: 'routing-proxy', restartPolicy: 'Always' });
    expect(sidecar.startupProbe).toBeDefined();
    // This is the pod that never got created on 1.28 without the gate.
    expect(apiServer128WithoutGate(pod.spec!)).toEqual([
      `spec.initContainers[0].readinessProbe: ${FORBIDDEN}`,
      `spec.initContainers[0].startupProbe: ${FORBIDDEN}`,
    ]);
  });

  it('regular: one more container, accepted by every API server, Ready only with vLLM behind it', () => {
    const { pod, response } = admitted(handlersFor(false), decodePod());
    expectValid(pod);
    expect(apiServer128WithoutGate(pod.spec!)).toEqual([]);
    expect(pod.spec!.initContainers).toBeUndefined();
    const names = pod.spec!.containers.map((c) => c.name);
    expect(names).toEqual(['kserve-container', 'queue-proxy', 'routing-proxy']);
    const sidecar = pod.spec!.containers[2] as Container;
    expect(sidecar.restartPolicy).toBeUndefined();
    expect(sidecar.startupProbe).toBeUndefined();
    expect(sidecar.args).toEqual(['--port=8000', '--vllm-port=8200', '--kv-connector=nixlv2', '--secure-proxy=false']);
    expect(sidecar.readinessProbe).toEqual({ httpGet: { path: '/health', port: 8000 }, periodSeconds: 5 });
    // Knative's contract for user containers: SIGTERM only after queue-proxy has drained.
    expect(sidecar.lifecycle).toEqual({ preStop: { httpGet: { path: '/wait-for-drain', port: 8022 } } });
    const vllm = pod.spec!.containers[0]!;
    expect(vllm.args).toContain('--port=8200');
    expect(pod.metadata!.annotations!['kserve-llmd.io/vllm-port']).toBe('8200');
    // queue-proxy still forwards to 8000 (USER_PORT), now the proxy, whose /v1/models reaches vLLM on 8200.
    expect(pod.spec!.containers[1]!.env).toContainEqual({ name: 'USER_PORT', value: '8000' });
    // Re-invocation finds the sidecar among the containers and changes nothing.
    expect(admitted(handlersFor(false), pod).response.patch).toBeUndefined();
    expect(response.allowed).toBe(true);
  });

  it('regular without queue-proxy (KServe Standard mode): no drain hook to wait on', () => {
    const pod = decodePod();
    pod.spec!.containers = pod.spec!.containers.filter((c) => c.name !== 'queue-proxy');
    const out = admitted(handlersFor(false), pod).pod;
    const sidecar = out.spec!.containers.find((c) => c.name === 'routing-proxy')!;
    expect(sidecar.lifecycle).toBeUndefined();
  });

  it('the metrics say which layout is in use, and count mutation errors', async () => {
    const registry = createRegistry();
    const handlers = webhookHandlers(config, { nativeSidecars: false }, registry, lines().logger);
    const broken = decodePod();
    (broken.spec!.containers[0] as unknown as Record<string, unknown>).env = [null];
    expect(admitted(handlers, broken).response.allowed).toBe(true);
    const text = await registry.metrics();
    expect(text).toMatch(/^kserve_llmd_webhook_native_sidecars 0$/m);
    expect(text).toMatch(/^kserve_llmd_webhook_pod_mutation_errors_total 1$/m);
  });
});

describe('the setting', () => {
  it('accepts auto, true, false (YAML booleans too) and defaults to auto', () => {
    expect(defaultWebhookConfig().nativeSidecars).toBe('auto');
    expect(parseWebhookConfig({ nativeSidecars: true }).nativeSidecars).toBe('true');
    expect(parseWebhookConfig({ nativeSidecars: false }).nativeSidecars).toBe('false');
    expect(() => parseWebhookConfig({ nativeSidecars: 'yes' })).toThrow(
      /nativeSidecars="yes": must be one of auto, true, false/,
    );
  });

  it('auto without a version, 1.27, 1.28 → regular; 1.29 and later → native', () => {
    const v = (minor: number) => ({ version: { major: 1, minor, gitVersion: `v1.${minor}.0` } });
    expect(decideNativeSidecars('auto', { error: 'x' }).native).toBe(false);
    expect([27, 28, 29, 30, 33].map((m) => decideNativeSidecars('auto', v(m)).native)).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
    expect(decideNativeSidecars('auto', v(28)).reason).toMatch(/set nativeSidecars: true if the gate is on/);
  });
});
