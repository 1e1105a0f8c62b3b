/**
 * Issue 14, item 4 (rolling a webhook replica) and the timeout half of item 6. On SIGTERM the listener used to
 * close at once, so /readyz refused connections instead of answering 503 and the API server could meet a refused
 * connection while the endpoint was being removed. Now: readiness 503 first, serving on for the drain delay (each
 * answer closing its connection), then in-flight reviews finish and the listener closes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TIMEOUTS, startHttpsServer } from '../../webhooks/https-server.js';
import { silentLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { webhookMetrics } from '../../webhooks/metrics.js';
import { allowed } from '../../webhooks/admission.js';
import { createWebhookApp } from '../../webhooks/app.js';
import { startWebhookServer, type WebhookServer } from '../../webhooks/server.js';
import { createClient, peerCommonName } from '../support/https-client.js';
import { certFor } from '../support/tls.js';

const handlers = { '/mutate': (r: { uid: string }) => allowed(r.uid) };
const reviewBody = (uid: string): string =>
  JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid, object: {} } });

/** A raw TLS connection that sends the request head and half the body of a review, then waits. */
async function halfSent(
  port: number,
  ca: string,
  uid: string,
  path = '/mutate',
): Promise<{ finish(): void; response: Promise<string> }> {
  const body = reviewBody(uid);
  const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const half = Math.floor(body.length / 2);
  const head = `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n`;
  socket.write(`${head}Content-Length: ${body.length}\r\n\r\n${body.slice(0, half)}`);
  const response = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => undefined);
  });
  return { finish: () => void socket.write(body.slice(half)), response };
}

/** A sleep the test ends itself: the drain delay without real time. */
function manualSleep(): { sleep: (ms: number) => Promise<void>; started: Promise<number>; end(): void } {
  let end = (): void => undefined;
  let announce: (ms: number) => void = () => undefined;
  const started = new Promise<number>((resolve) => (announce = resolve));
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        end = resolve;
        announce(ms);
      }),
    started,
    end: () => end(),
  };
}

describe('draining on shutdown (in process, the drain delay under the test’s control)', () => {
  let server: WebhookServer;
  const clock = manualSleep();

  beforeAll(async () => {
    server = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      handlers,
      logger: silentLogger,
      drainDelayMs: 10_000,
      sleep: clock.sleep,
    });
  });

  it('readiness 503 first, still serving (answers close their connection), closed after in-flight work', async () => {
    const ca = server.selfSigned!.cert;
    const inflight = await halfSent(server.port, ca, 'uid-inflight');
    const client = createClient(server.url, { ca });
    expect((await client.request('GET', '/readyz')).status).toBe(200);

    const closing = server.close();
    expect(await clock.started).toBe(10_000);

    // Draining: readiness says 503 on a NEW connection (the listener is still open) and reviews are answered.
    const fresh = createClient(server.url, { ca });
    const ready = await fresh.request('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.headers.connection).toBe('close');
    const review = await fresh.postJson('/mutate', reviewBody('uid-during-drain'));
    expect(review.status).toBe(200);
    expect(review.headers.connection).toBe('close');
    expect((review.body as { response: { uid: string } }).response.uid).toBe('uid-during-drain');

    // The drain delay ends: no new connections; the half-sent review still gets its answer.
    clock.end();
    inflight.finish();
    expect(await inflight.response).toMatch(/^HTTP\/1\.1 200[\s\S]*"uid":"uid-inflight"/);
    await closing;
    await expect(peerCommonName(server.url, ca)).rejects.toThrow(/ECONNREFUSED/);
    await Promise.all([client.close(), fresh.close()]);
  });
});

/** A free loopback port (bind to 0, read it, release it). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * The real CLI in a child process, SIGTERM mid-review. Real time: the drain delay is 3 s of wall clock (the
 * smallest the config takes in whole seconds that still leaves a busy machine time for two loopback requests
 * after the "draining" log line); nothing is asserted about durations.
 */
it('kserve-llmd webhook: SIGTERM mid-review → readiness 503, the review answered, exit 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kserve-llmd-drain-'));
  const port = await freePort();
  writeFileSync(join(dir, 'webhook.yaml'), `port: ${port}\nmetricsPort: 0\ndrainDelaySeconds: 3\n`);
  const bin = fileURLToPath(new URL('../../bin/kserve-llmd.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [bin, 'webhook', '--host', '127.0.0.1', '--config', join(dir, 'webhook.yaml')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  const waitFor = (re: RegExp, stream: () => string): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = stream().match(re);
        if (m) resolve(m);
      };
      child.stdout.on('data', (d: Buffer) => ((out += d.toString()), check()));
      child.stderr.on('data', (d: Buffer) => ((err += d.toString()), check()));
      child.once('exit', () => reject(new Error(`exited before ${re}: ${out}${err}`)));
      check();
    });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The CLI prints where it wrote the self-signed CA (for the curl it suggests).
  const [, caPath] = await waitFor(/--cacert (\S+) /, () => err);
  const ca = readFileSync(caPath!, 'utf8');
  const inflight = await halfSent(port, ca, 'uid-sigterm', '/mutate-inferenceservice');
  child.kill('SIGTERM');
  await waitFor(/"msg":"draining: readiness is 503, still serving"/, () => out);
  const client = createClient(`https://127.0.0.1:${port}`, { ca });
  expect((await client.request('GET', '/readyz')).status).toBe(503);
  inflight.finish();
  expect(await inflight.response).toMatch(/^HTTP\/1\.1 200[\s\S]*"uid":"uid-sigterm"/);
  await client.close();
  expect(await exited).toBe(0);
  expect(out).toMatch(/"msg":"closed"/);
}, 60_000);

describe('slowloris timeouts fire at their value (Node checks every 30 s unless told otherwise)', () => {
  it('defaults: headers 10 s, request 30 s, checked every second', async () => {
    const registry = createRegistry();
    const metrics = webhookMetrics(registry);
    const app = createWebhookApp({ handlers, logger: silentLogger, metrics, ready: () => true });
    const running = await startHttpsServer({
      app,
      host: '127.0.0.1',
      port: 0,
      tls: await certFor('t'),
      logger: silentLogger,
      metrics,
    });
    try {
      expect([running.server.headersTimeout, running.server.requestTimeout]).toEqual([10_000, 30_000]);
      expect((running.server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval).toBe(
        DEFAULT_TIMEOUTS.checkIntervalMs,
      );
      expect(DEFAULT_TIMEOUTS.checkIntervalMs).toBeLessThanOrEqual(1_000);
    } finally {
      await running.close();
    }
  });

  /**
   * Real time: a 300 ms headers timeout with the default one-second check must cut a connection that never
   * finishes its headers within about 1.3 s; with Node's own 30 s check it took up to 30 s. The deadline
   * asserted is 10 s, generous for a busy machine and still far below 30 s.
   */
  it('a connection that never finishes its headers is answered 408 and closed within the check interval', async () => {
    const registry = createRegistry();
    const metrics = webhookMetrics(registry);
    const app = createWebhookApp({ handlers, logger: silentLogger, metrics, ready: () => true });
    const pair = await certFor('t');
    const running = await startHttpsServer({
      app,
      host: '127.0.0.1',
      port: 0,
      tls: pair,
      logger: silentLogger,
      metrics,
      timeouts: { headersMs: 300, requestMs: 600 },
    });
    try {
      const socket = tls.connect({ host: '127.0.0.1', port: running.port, ca: pair.cert, servername: 'localhost' });
      await new Promise<void>((resolve) => socket.once('secureConnect', resolve));
      socket.write('POST /mutate HTTP/1.1\r\nHost: localhost\r\n'); // and never the blank line
      const answer = await new Promise<string>((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(new Error('not closed within 10 s')), 10_000);
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(text);
        });
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await running.close();
    }
  });
});
