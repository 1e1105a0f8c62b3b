/**
 * Issue 14, item 6: small admission defects. A service with only generateName, a 1 MB annotation value or key,
 * input that used to throw inside the mutation, and a hand-crafted `kserve-llmd.io/defaulted` record.
 * Each is sent through the real HTTPS server, so the bounds hold in the response and in the log line.
 */
import { Writable } from 'node:stream';
import { defaultWebhookConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { AdmissionResponse } from '../../webhooks/admission-types.js';
import { createIsvcHandler, ISVC_PATH } from '../../webhooks/isvc/handler.js';
import { startWebhookServer, type WebhookServer } from '../../webhooks/server.js';
import { isvc, review } from '../support/fixtures.js';
import { createClient, type TestClient } from '../support/https-client.js';

const P = 'kserve-llmd.io/';
const MB = 1024 * 1024;
let server: WebhookServer;
let client: TestClient;
const lines: string[] = [];

beforeAll(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    handlers: { [ISVC_PATH]: createIsvcHandler(defaultWebhookConfig()) },
    logger: createLogger({ level: 'info', stream }),
  });
  client = createClient(server.url, { ca: server.selfSigned!.cert });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

async function admit(object: unknown): Promise<AdmissionResponse> {
  const body = review(object);
  const res = await client.postJson(ISVC_PATH, body);
  expect(res.status).toBe(200);
  return (res.body as { response: AdmissionResponse }).response;
}

function logLineFor(uid: string): string {
  const line = lines.find((l) => l.includes(uid));
  if (!line) throw new Error(`no log line for ${uid}`);
  return line;
}

describe('generateName without name', () => {
  it('is denied with a message naming metadata.name, instead of labels with an empty pool', async () => {
    const s = isvc({ [`${P}routing`]: 'prefix-aware' });
    delete s.metadata.name;
    s.metadata.generateName = 'llama-';
    const res = await admit(s);
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toMatch(
      /metadata\.name is required.*generateName.*after admission; set metadata\.name/,
    );
  });
});

describe('huge values are echoed bounded, in the denial and in the log line', () => {
  it('a 1 MB invalid annotation value', async () => {
    const value = 'x'.repeat(MB);
    const res = await admit(isvc({ [`${P}routing`]: value }));
    expect(res.allowed).toBe(false);
    const message = res.status?.message ?? '';
    expect(message).toMatch(new RegExp(`^kserve-llmd: ${P}routing: "x{64}… \\(${MB} characters\\)" is not valid`));
    expect(message.length).toBeLessThan(1_000);
    const line = lines.find((l) => l.includes('"outcome":"denied"') && l.includes(`(${MB} characters)`));
    expect(line).toBeDefined();
    expect(line!.length).toBeLessThan(2_000);
  });

  it('a 1 MB unknown annotation key and a 1 MB label value', async () => {
    const res = await admit(
      isvc({ [`${P}${'k'.repeat(MB)}`]: 'v' }, { labels: { 'kserve-llmd.io/pool': 'p'.repeat(MB) } }),
    );
    expect(res.allowed).toBe(false);
    expect(res.status?.message.length).toBeLessThan(2_000);
    expect(res.status?.message).toMatch(/is not a kserve-llmd annotation/);
  });

  it('a 1 MB name is bounded in the log line', async () => {
    const s = isvc({ [`${P}routing`]: 'bogus' }, {}, 'n'.repeat(MB));
    const body = review(s);
    body.request!.name = s.metadata.name;
    const res = await client.postJson(ISVC_PATH, body);
    expect(res.status).toBe(200);
    expect(logLineFor(body.request!.uid).length).toBeLessThan(3_000);
  });
});

describe('input that used to throw inside the mutation', () => {
  it('`containers: [null]` gets a decision, not an internal error', async () => {
    const res = await admit(isvc({ [`${P}routing`]: 'prefix-aware' }, { containers: [null] }));
    expect(res.status?.reason).not.toBe('InternalError');
    expect(JSON.stringify(res)).not.toMatch(/Cannot read properties/);
  });
});

describe('a hand-crafted kserve-llmd.io/defaulted record', () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['the only predictor field', { minReplicas: 1 }, { spec: { predictor: { minReplicas: 1 } } }],
    ['the only model field', { model: { runtime: 'r' } }, { spec: { predictor: { model: { runtime: 'r' } } } }],
  ];
  it.each(cases)('naming %s never removes spec.predictor or its model', async (_what, predictor, record) => {
    const s = {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'llama', namespace: 'models', annotations: { [`${P}defaulted`]: JSON.stringify(record) } },
      spec: { predictor },
    };
    const res = await admit(s);
    expect(res.allowed).toBe(true);
    const ops = JSON.parse(Buffer.from(res.patch ?? '', 'base64').toString() || '[]') as Array<{ path: string }>;
    const paths = ops.map((o) => o.path);
    expect(paths).not.toContain('/spec/predictor');
    expect(paths).not.toContain('/spec/predictor/model');
    expect(paths).not.toContain('/spec');
  });
});
