/**
 * Issue 14, item 2, the mechanism behind webhook-memory.test.ts at a small scale: admission uploads share one
 * bound on buffered bytes; what does not fit is answered 429 with Retry-After (which the API server's client
 * retries), a review that would parse into millions of objects is refused before JSON.parse, and the bound is
 * given back whatever the outcome.
 */
import tls from 'node:tls';
import { silentLogger } from '../../src/log.js';
import { allowed } from '../../webhooks/admission.js';
import { MAX_JSON_CONTAINERS, tooManyContainers } from '../../webhooks/admission-body.js';
import { startWebhookServer, type WebhookServer } from '../../webhooks/server.js';
import { eventually } from '../support/eventually.js';
import { createClient, type TestClient } from '../support/https-client.js';

const BUDGET = 16 * 1024;
let server: WebhookServer;
let client: TestClient;

beforeAll(async () => {
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    handlers: { '/mutate': (r) => allowed(r.uid) },
    logger: silentLogger,
    maxBufferedBytes: BUDGET,
    metricsPort: 0,
  });
  client = createClient(server.url, { ca: server.selfSigned!.cert });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

/** A review padded to `bytes` with a filler annotation. */
function review(uid: string, bytes: number): string {
  const base = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid, object: { pad: '' } } };
  const text = JSON.stringify(base);
  return text.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, bytes - text.length))}"`);
}

/** Sends the head and all but the last byte of a review, holding its declared length in the budget. */
async function holding(bytes: number): Promise<{ finish(): void; answer: Promise<string> }> {
  const body = review('uid-holding', bytes);
  const socket = tls.connect({
    host: '127.0.0.1',
    port: server.port,
    ca: server.selfSigned!.cert,
    servername: 'localhost',
  });
  await new Promise<void>((resolve) => socket.once('secureConnect', resolve));
  const head = `POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n`;
  socket.write(`${head}Content-Length: ${body.length}\r\n\r\n${body.slice(0, -1)}`);
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('"uid-holding"')) resolve(text);
    });
  });
  return {
    finish: () => {
      socket.write(body.slice(-1));
      void answer.then(() => socket.end());
    },
    answer,
  };
}

async function bufferedBytes(): Promise<number> {
  const text = await (await fetch(`${server.metricsUrl!}/metrics`)).text();
  return Number(/^kserve_llmd_webhook_buffered_body_bytes (\d+)/m.exec(text)?.[1]);
}

it('refuses what does not fit with 429 + Retry-After on a reusable connection, then admits again', async () => {
  const held = await holding(BUDGET - 1024);
  // The held upload's declared length is reserved as soon as its headers are read.
  await eventually('the held upload to be reserved', async () => (await bufferedBytes()) === BUDGET - 1024);

  const refused = await client.postJson('/mutate', review('uid-refused', 4 * 1024));
  expect(refused.status).toBe(429);
  expect(refused.headers['retry-after']).toBe('1');
  // A small refused body is read and dropped, so the client reads a clean 429 and may reuse the connection.
  expect(refused.headers.connection).not.toBe('close');
  expect((refused.body as { error: string }).error).toMatch(/too many admission request bytes in flight/);

  held.finish();
  expect(await held.answer).toMatch(/^HTTP\/1\.1 200/);
  const admitted = await client.postJson('/mutate', review('uid-admitted', 4 * 1024));
  expect(admitted.status).toBe(200);
  expect(await bufferedBytes()).toBe(0);
});

it('a chunked upload (no Content-Length) is counted chunk by chunk and refused past the bound', async () => {
  const socket = tls.connect({
    host: '127.0.0.1',
    port: server.port,
    ca: server.selfSigned!.cert,
    servername: 'localhost',
  });
  await new Promise<void>((resolve) => socket.once('secureConnect', resolve));
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => undefined);
  });
  socket.write(
    'POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
  );
  const chunk = 'x'.repeat(4096);
  for (let i = 0; i < 8 && !socket.destroyed; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
  const text = await answer;
  expect(text).toMatch(/^HTTP\/1\.1 429/);
  expect(text).toMatch(/retry-after: 1/i);
  expect(await bufferedBytes()).toBe(0);
});

it('counts objects and arrays outside strings only, and stops at the bound', () => {
  expect(tooManyContainers(Buffer.from('{"a":"{{{{[[[["}'), 1)).toBe(false);
  expect(tooManyContainers(Buffer.from('{"a":"\\"{{"}'), 1)).toBe(false);
  expect(tooManyContainers(Buffer.from('[{},{}]'), 2)).toBe(true);
  expect(tooManyContainers(Buffer.from(`[${'{},'.repeat(MAX_JSON_CONTAINERS)}{}]`), MAX_JSON_CONTAINERS)).toBe(true);
});
