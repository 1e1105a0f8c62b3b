/**
 * Seeded fuzz over real HTTPS: random bytes, truncated reviews, wrong field types, deep nesting,
 * odd content types and encodings, and valid reviews with random objects. Every answer must be
 * well-formed JSON with a status the API server can act on, and the server must stay up.
 */
import { Writable } from 'node:stream';
import type { Counter } from 'prom-client';
import { createLogger } from '../../src/log.js';
import type { AdmissionHandler } from '../../webhooks/admission-types.js';
import { MAX_JSON_CONTAINERS, SCAN_ABOVE_BYTES } from '../../webhooks/admission-body.js';
import { allowed, patched } from '../../webhooks/admission.js';
import { startWebhookServer, type WebhookServer } from '../../webhooks/server.js';
import { createClient, type TestClient } from '../support/https-client.js';

const SEED = 0x5eed_2026;
const CASES = 3200;
const CONCURRENCY = 16;

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  body: string | Buffer;
  headers: Record<string, string>;
  /** Exact status when the generator knows it; otherwise any of the allowed ones. */
  expect?: number;
  uid?: string;
}

const ALLOWED = new Set([200, 400, 413, 415]);
const JSON_CT = { 'content-type': 'application/json' };

function generator(rand: () => number) {
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const text = (): string => {
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '\n', 'é', '日本', '🚀', '\u0000', '\ud800', '\u2028', '{', ']'];
    return Array.from({ length: int(12) }, () => pick(alphabet)).join('');
  };
  const value = (depth: number): unknown => {
    const k = depth > 4 ? int(5) : int(8);
    if (k === 0) return null;
    if (k === 1) return rand() < 0.5;
    if (k === 2) return pick([0, -1, 1e308, 3.14, Number.MAX_SAFE_INTEGER]);
    if (k === 3 || k === 4) return text();
    if (k === 5) return Array.from({ length: int(4) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: int(5) }, () => [
        pick([text(), 'metadata', 'spec', '__proto__', 'constructor']),
        value(depth + 1),
      ]),
    );
  };
  const review = (
    uid: unknown,
    object: unknown,
    over: Record<string, unknown> = {},
    reqOver: Record<string, unknown> = {},
  ): Record<string, unknown> => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: 'serving.kserve.io', version: 'v1beta1', kind: 'InferenceService' },
      operation: pick(['CREATE', 'UPDATE', 'DELETE', 'CONNECT', 7]),
      object,
      ...reqOver,
    },
    ...over,
  });
  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);

  return (i: number): Case => {
    const uid = `fuzz-${i}-${text()}`;
    switch (int(10)) {
      case 0: // random bytes
        return { body: Buffer.from(Array.from({ length: int(2000) }, () => int(256))), headers: JSON_CT, expect: 400 };
      case 1: {
        // truncated valid JSON
        const full = JSON.stringify(review(uid, value(0)));
        return { body: full.slice(0, int(full.length)), headers: JSON_CT, expect: 400 };
      }
      case 2: {
        // wrong types in the envelope
        const bad = pick([
          () => review(pick([7, null, [], {}, true, '']), {}),
          () => ({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            request: pick([null, 'str', 1, [], true]),
          }),
          () => review(uid, {}, { kind: pick(['Pod', null, 1, 'admissionreview']) }),
          () => review(uid, {}, { apiVersion: pick(['admission.k8s.io/v1beta1', null, '', 1]) }),
          () => pick([null, [], [review(uid, {})], 'str', 1]),
        ])();
        return { body: JSON.stringify(bad), headers: JSON_CT, expect: 400 };
      }
      case 3: // deep nesting: the whole body, or inside request.object (valid envelope)
        if (rand() < 0.5) {
          // Past the container bound a large body is refused before JSON.parse (webhooks/admission-body.ts).
          const n = 1 + int(200_000);
          const refused = 2 * n > SCAN_ABOVE_BYTES && n > MAX_JSON_CONTAINERS;
          return { body: deep(n), headers: JSON_CT, expect: refused ? 413 : 400 };
        }
        return {
          body: JSON.stringify(review(uid, null)).replace('"object":null', `"object":${deep(1 + int(20_000))}`),
          headers: JSON_CT,
          expect: 200,
          uid,
        };
      case 4: {
        // odd content types and encodings
        const headers = pick([
          { 'content-type': pick(['text/plain', 'application/xml', 'application/jsonx', 'multipart/form-data']) },
          { 'content-type': 'application/json; charset=koi8-r' },
          { ...JSON_CT, 'content-encoding': pick(['br2', 'x-unknown']) },
        ]);
        return { body: JSON.stringify(review(uid, value(0))), headers, expect: 415 };
      }
      case 5: // compressed (the API server never compresses reviews: 415), empty body
        return rand() < 0.5
          ? { body: Buffer.from('not gzip at all'), headers: { ...JSON_CT, 'content-encoding': 'gzip' }, expect: 415 }
          : { body: '', headers: JSON_CT, expect: 400 };
      default: {
        // valid envelopes with random objects, nulls, arrays and unicode
        const reqOver =
          rand() < 0.3 ? { kind: value(2), name: value(2), namespace: value(2), oldObject: value(0) } : {};
        const object = pick([
          () => value(0),
          () => ({ metadata: { name: text(), labels: value(1) }, spec: value(1) }),
          () => null,
          () => [],
        ])();
        const ct = pick(['application/json', 'application/json; charset=utf-8', 'Application/JSON']);
        return {
          body: JSON.stringify(review(uid, object, {}, reqOver)),
          headers: { 'content-type': ct },
          expect: 200,
          uid,
        };
      }
    }
  };
}

/** Labels objects, like the real mutators; recursion on hostile input may throw, which must be survivable. */
const handler: AdmissionHandler = (req) => {
  const obj = req.object;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return allowed(req.uid);
  const mutated = structuredClone(obj) as Record<string, unknown>;
  mutated.fuzzed = true;
  return patched(req.uid, obj, mutated);
};

describe('fuzzing the webhook endpoint', () => {
  let server: WebhookServer;
  let client: TestClient;
  beforeAll(async () => {
    const logger = createLogger({ level: 'error', stream: new Writable({ write: (_c, _e, cb) => cb() }) });
    server = await startWebhookServer({ host: '127.0.0.1', port: 0, handlers: { '/mutate': handler }, logger });
    client = createClient(server.url, { ca: server.selfSigned!.cert, connections: 8 });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it(`answers ${CASES} random and corrupted bodies with well-formed responses and stays up`, async () => {
    const make = generator(prng(SEED));
    const cases = Array.from({ length: CASES }, (_, i) => make(i));
    // Three bodies just over the 7 MB limit, sent on the same keep-alive connections.
    for (let i = 0; i < 3; i++)
      cases.push({ body: Buffer.alloc(7 * 1024 * 1024 + 1, 0x20), headers: JSON_CT, expect: 413 });
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const i = next++;
        const c = cases[i]!;
        const res = await client.request('POST', '/mutate', c.body, c.headers);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const problem = check(c, res.status, res.body);
        if (problem) failures.push(`case ${i}: ${problem}; body starts ${JSON.stringify(String(c.body).slice(0, 80))}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(failures.slice(0, 10)).toEqual([]);
    for (const code of [200, 400, 413, 415]) expect(statuses.get(code)).toBeGreaterThan(0);
    expect((await client.request('GET', '/healthz')).text).toBe('ok');
    // Every request was counted exactly once, and nothing is left in flight.
    const counter = server.registry.getSingleMetric('kserve_llmd_webhook_requests_total') as Counter;
    const total = (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(total).toBe(cases.length);
    expect(await server.registry.getSingleMetricAsString('kserve_llmd_webhook_requests_in_flight')).toMatch(/\} 0$/m);
  });
});

function check(c: Case, status: number, body: unknown): string | undefined {
  if (!ALLOWED.has(status)) return `status ${status}`;
  if (c.expect !== undefined && status !== c.expect) return `status ${status}, expected ${c.expect}`;
  if (typeof body !== 'object' || body === null) return 'body is not JSON';
  if (status !== 200) return typeof (body as { error?: unknown }).error === 'string' ? undefined : 'no error message';
  const review = body as { apiVersion?: string; kind?: string; response?: { uid?: string; allowed?: unknown } };
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') return 'not an AdmissionReview';
  if (review.response?.uid !== c.uid) return `uid ${review.response?.uid} != ${c.uid}`;
  return typeof review.response?.allowed === 'boolean' ? undefined : 'allowed is not boolean';
}
