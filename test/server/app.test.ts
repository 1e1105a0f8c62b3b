import fastJsonPatch from 'fast-json-patch';
import { Writable } from 'node:stream';
import { startHttpsServer } from '../../webhooks/https-server.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { webhookMetrics } from '../../webhooks/metrics.js';
import type { AdmissionHandler, AdmissionRequest } from '../../webhooks/admission-types.js';
import { allowed, denied, patched } from '../../webhooks/admission.js';
import { createWebhookApp } from '../../webhooks/app.js';
import { startWebhookServer, type WebhookServer } from '../../webhooks/server.js';
import { createClient, type TestClient } from '../support/https-client.js';
import { certFor } from '../support/tls.js';

const isvc = {
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'llama', namespace: 'ml', annotations: { 'llmd.kserve.io/router': 'enabled' } },
  spec: { predictor: { model: { modelFormat: { name: 'huggingface' } } } },
};

function review(uid: string, object: unknown = isvc, extra: Partial<AdmissionRequest> = {}): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: 'serving.kserve.io', version: 'v1beta1', kind: 'InferenceService' },
      resource: { group: 'serving.kserve.io', version: 'v1beta1', resource: 'inferenceservices' },
      name: 'llama',
      namespace: 'ml',
      operation: 'CREATE',
      object,
      ...extra,
    },
  };
}

/** Adds a label; denies objects labelled deny=yes; throws on 'boom'; answers a wrong uid on 'liar'. */
const handler: AdmissionHandler = (req) => {
  const obj = req.object as { metadata: { name?: string; labels?: Record<string, string> } };
  if (obj.metadata.name === 'boom') throw new Error('kaboom');
  if (obj.metadata.name === 'liar') return allowed('not-the-request-uid');
  if (obj.metadata.labels?.deny === 'yes') return denied(req.uid, 'llmd.kserve.io/router must be enabled|disabled');
  const mutated = structuredClone(obj);
  mutated.metadata.labels = { ...mutated.metadata.labels, 'llmd.kserve.io/mutated': 'true' };
  return patched(req.uid, obj, mutated);
};

interface AR {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    patch?: string;
    patchType?: string;
    status?: { code: number; message: string; reason?: string };
  };
}

describe('webhook app over HTTPS', () => {
  let server: WebhookServer;
  let client: TestClient;
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });

  beforeAll(async () => {
    const logger = createLogger({ level: 'debug', stream });
    server = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      handlers: { '/mutate-inferenceservice': handler },
      logger,
      metricsPort: 0,
    });
    client = createClient(server.url, { ca: server.selfSigned!.cert });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('round-trips an AdmissionReview with a JSON patch that applies to the original object', async () => {
    const res = await client.postJson('/mutate-inferenceservice', review('uid-1'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.body as AR;
    expect(body.apiVersion).toBe('admission.k8s.io/v1');
    expect(body.kind).toBe('AdmissionReview');
    expect(body.response).toMatchObject({ uid: 'uid-1', allowed: true, patchType: 'JSONPatch' });
    const ops = JSON.parse(Buffer.from(body.response.patch!, 'base64').toString('utf8'));
    const result = fastJsonPatch.applyPatch(structuredClone(isvc), ops).newDocument;
    expect(result).toEqual({ ...isvc, metadata: { ...isvc.metadata, labels: { 'llmd.kserve.io/mutated': 'true' } } });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('accepts a charset parameter on the content type', async () => {
    const res = await client.postJson(
      '/mutate-inferenceservice',
      review('uid-charset'),
      'application/json; charset=utf-8',
    );
    expect(res.status).toBe(200);
    expect((res.body as AR).response.uid).toBe('uid-charset');
  });

  it('forces the request uid when the handler answers another one', async () => {
    const res = await client.postJson('/mutate-inferenceservice', review('uid-2', { metadata: { name: 'liar' } }));
    expect(res.status).toBe(200);
    expect((res.body as AR).response).toEqual({ uid: 'uid-2', allowed: true });
  });

  it('turns a throwing handler into a 200 AdmissionReview denying with code 500 and the same uid', async () => {
    const res = await client.postJson('/mutate-inferenceservice', review('uid-3', { metadata: { name: 'boom' } }));
    expect(res.status).toBe(200);
    const r = (res.body as AR).response;
    expect(r.uid).toBe('uid-3');
    expect(r.allowed).toBe(false);
    expect(r.status?.code).toBe(500);
    // A stable message for the user; the error text is in the log under the same uid (issue 14).
    expect(r.status?.message).not.toContain('kaboom');
    expect(r.status?.message).toMatch(/internal error .*uid uid-3/);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'admission handler failed', uid: 'uid-3', error: 'kaboom' }),
    );
  });

  it('passes a denial through and logs one line per admission with the message', async () => {
    const res = await client.postJson(
      '/mutate-inferenceservice',
      review('uid-4', { metadata: { name: 'x', labels: { deny: 'yes' } } }),
    );
    expect((res.body as AR).response).toMatchObject({
      uid: 'uid-4',
      allowed: false,
      status: { code: 422, reason: 'Invalid' },
    });
    const logged = lines.filter((l) => l.msg === 'admission' && l.uid === 'uid-4');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 'info',
      outcome: 'denied',
      kind: 'InferenceService',
      namespace: 'ml',
      name: 'llama',
      operation: 'CREATE',
      message: 'llmd.kserve.io/router must be enabled|disabled',
    });
    expect(typeof logged[0]!.latencyMs).toBe('number');
  });

  it.each([
    ['malformed JSON', '{"apiVersion": "admission.k8s.io/v1", "kind": ', /JSON|Unexpected|position/i],
    ['a JSON string', '"hello"', /.+/],
    ['an array', '[1,2]', /not a JSON object/],
    [
      'wrong apiVersion',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'a' } }),
      /apiVersion/,
    ],
    ['wrong kind', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: { uid: 'a' } }), /kind/],
    [
      'no request',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      /request must be an object/,
    ],
    [
      'numeric uid',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 7 } }),
      /request.uid/,
    ],
    [
      'empty uid',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: '' } }),
      /request.uid/,
    ],
  ])('answers 400 with a JSON error for %s', async (_name, body, message) => {
    const res = await client.postJson('/mutate-inferenceservice', body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect((res.body as { error: string }).error).toMatch(message);
  });

  it('answers 413 for a body over 7 MB', async () => {
    const big = JSON.stringify(review('uid-big', { metadata: { name: 'x' }, data: 'a'.repeat(7 * 1024 * 1024 + 10) }));
    const res = await client.postJson('/mutate-inferenceservice', big);
    expect(res.status).toBe(413);
    expect((res.body as { error: string }).error).toMatch(/too large/i);
  });

  it('accepts a 3 MB object (controller-runtime allows up to 3 MB per object)', async () => {
    const res = await client.postJson(
      '/mutate-inferenceservice',
      review('uid-3mb', { metadata: { name: 'x' }, data: 'a'.repeat(3 * 1024 * 1024) }),
    );
    expect(res.status).toBe(200);
    expect((res.body as AR).response.uid).toBe('uid-3mb');
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/yaml']])(
    'answers 415 for Content-Type %s',
    async (type) => {
      const res = await client.postJson('/mutate-inferenceservice', review('uid-415'), type);
      expect(res.status).toBe(415);
      expect((res.body as { error: string }).error).toContain('application/json');
    },
  );

  it('answers 415 for an unsupported charset', async () => {
    const res = await client.postJson(
      '/mutate-inferenceservice',
      review('uid-latin1'),
      'application/json; charset=latin1',
    );
    expect(res.status).toBe(415);
    expect(res.body).toHaveProperty('error');
  });

  it('answers 404 JSON for unknown paths and 405 for the wrong method', async () => {
    const notFound = await client.postJson('/mutate-nothing', review('u'));
    expect(notFound.status).toBe(404);
    expect(notFound.body).toHaveProperty('error');
    const wrong = await client.request('GET', '/mutate-inferenceservice');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    expect(wrong.body).toHaveProperty('error');
  });

  it('serves /healthz and /readyz, and /metrics with the admission counters on its own HTTP port only', async () => {
    expect((await client.request('GET', '/healthz')).text).toBe('ok');
    expect((await client.request('GET', '/readyz')).status).toBe(200);
    expect((await client.request('GET', '/metrics')).status).toBe(404);
    const res = await fetch(`${server.metricsUrl!}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const m = { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
    expect(m.status).toBe(200);
    expect(m.contentType).toContain('text/plain');
    expect(m.text).toMatch(
      /kserve_llmd_webhook_requests_total\{webhook="\/mutate-inferenceservice",code="200",result="patched"\} [1-9]/,
    );
    expect(m.text).toMatch(
      /kserve_llmd_webhook_requests_total\{webhook="\/mutate-inferenceservice",code="200",result="denied"\} 1/,
    );
    expect(m.text).toMatch(
      /kserve_llmd_webhook_requests_total\{webhook="\/mutate-inferenceservice",code="200",result="error"\} 1/,
    );
    expect(m.text).toMatch(
      /kserve_llmd_webhook_requests_total\{webhook="\/mutate-inferenceservice",code="400",result="error"\} 8/,
    );
    expect(m.text).toMatch(
      /kserve_llmd_webhook_requests_total\{webhook="\/mutate-inferenceservice",code="413",result="error"\} 1/,
    );
    expect(m.text).toMatch(
      /kserve_llmd_webhook_denials_total\{webhook="\/mutate-inferenceservice",reason="Invalid"\} 1/,
    );
    expect(m.text).toMatch(
      /kserve_llmd_webhook_latency_seconds_bucket\{le="0.0005",webhook="\/mutate-inferenceservice"\}/,
    );
    expect(m.text).toMatch(/kserve_llmd_webhook_requests_in_flight\{webhook="\/mutate-inferenceservice"\} 0/);
    expect(m.text).toContain('process_cpu_user_seconds_total');
  });
});

describe('readiness', () => {
  it('answers 503 on /readyz while ready() is false, and 200 once it is true', async () => {
    const registry = createRegistry();
    const logger = createLogger({ level: 'error', stream: new Writable({ write: (_c, _e, cb) => cb() }) });
    let ready = false;
    const metrics = webhookMetrics(registry);
    const app = createWebhookApp({ handlers: {}, logger, metrics, ready: () => ready });
    const running = await startHttpsServer({
      app,
      host: '127.0.0.1',
      port: 0,
      tls: await certFor('ready-test'),
      logger,
      metrics,
    });
    const client = createClient(running.url);
    try {
      const before = await client.request('GET', '/readyz');
      expect(before.status).toBe(503);
      ready = true;
      expect((await client.request('GET', '/readyz')).status).toBe(200);
    } finally {
      await client.close();
      await running.close();
    }
  });
});
