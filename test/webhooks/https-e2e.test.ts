/**
 * The real webhooks over real HTTPS on loopback: AdmissionReview v1 in, patch out, patch applied, result
 * validated against the KServe CRD and the Kubernetes v1.28 Pod schema.
 */
import fastJsonPatch from 'fast-json-patch';
import { defaultWebhookConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import type { AdmissionReview } from '../../webhooks/admission-types.js';
import { createIsvcHandler, ISVC_PATH } from '../../webhooks/isvc/handler.js';
import { createPodHandler, POD_PATH } from '../../webhooks/pod/handler.js';
import { startWebhookServer, type WebhookServer } from '../../webhooks/server.js';
import { EXAMPLES, example, knativePod, review } from '../support/fixtures.js';
import { createClient, type TestClient } from '../support/https-client.js';
import { expectValid } from '../support/schema.js';

const config = defaultWebhookConfig();
let server: WebhookServer;
let client: TestClient;

beforeAll(async () => {
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    handlers: { [ISVC_PATH]: createIsvcHandler(config), [POD_PATH]: createPodHandler(config.injection) },
    metricsPort: 0,
  });
  client = createClient(server.url, { ca: server.selfSigned!.cert });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

async function roundTrip(
  path: string,
  body: AdmissionReview,
): Promise<{ response: NonNullable<AdmissionReview['response']>; applied: unknown }> {
  const res = await client.postJson(path, body);
  expect(res.status).toBe(200);
  const out = res.body as AdmissionReview;
  expect(out).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  const response = out.response!;
  expect(response.uid).toBe(body.request!.uid);
  const ops = response.patch ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) : [];
  if (response.patch) expect(response.patchType).toBe('JSONPatch');
  const applied = fastJsonPatch.applyPatch(structuredClone(body.request!.object), ops, true, false).newDocument;
  return { response, applied };
}

describe.each(EXAMPLES.filter((e) => e !== 'invalid-annotations'))('%s over HTTPS', (name) => {
  it('is patched into a valid InferenceService, and its decode pod into a valid Pod', async () => {
    const { response, applied } = await roundTrip(ISVC_PATH, review(example(name)));
    expect(response.allowed).toBe(true);
    expectValid(applied);
    const labels = (applied as any).spec.predictor.labels as Record<string, string>;
    const pod = knativePod(labels, (applied as any).metadata.annotations);
    const podResult = await roundTrip(POD_PATH, review(pod, 'CREATE', 'Pod'));
    expect(podResult.response.allowed).toBe(true);
    expectValid(podResult.applied);
    // Reinvocation (reinvocationPolicy: IfNeeded) and re-applies see no change.
    const again = await roundTrip(ISVC_PATH, review(applied, 'UPDATE'));
    expect(again.response.patch).toBeUndefined();
    const podAgain = await roundTrip(POD_PATH, review(podResult.applied, 'CREATE', 'Pod'));
    expect(podAgain.response.patch).toBeUndefined();
  });
});

it('an invalid service is denied with 422 and every problem, over HTTPS', async () => {
  const { response } = await roundTrip(ISVC_PATH, review(example('invalid-annotations')));
  expect(response.allowed).toBe(false);
  expect(response.status).toMatchObject({ code: 422, reason: 'Invalid' });
  expect(response.status!.message).toMatch(/4 problems/);
});

it('DELETE is allowed without a patch', async () => {
  const { response } = await roundTrip(ISVC_PATH, review(example('nvidia-basic'), 'DELETE'));
  expect(response).toEqual({ uid: expect.any(String), allowed: true });
});

it('counts admissions by webhook and result in /metrics (its own port)', async () => {
  const res = { text: await (await fetch(`${server.metricsUrl!}/metrics`)).text() };
  expect(res.text).toMatch(
    /kserve_llmd_webhook_requests_total\{webhook="\/mutate-inferenceservice",code="200",result="patched"\} \d+/,
  );
  expect(res.text).toMatch(
    /kserve_llmd_webhook_requests_total\{webhook="\/mutate-inferenceservice",code="200",result="denied"\} 1/,
  );
});
