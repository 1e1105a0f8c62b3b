import tls from 'node:tls';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { patched } from '../../webhooks/admission.js';
import { startWebhookServer, type WebhookServer } from '../../webhooks/server.js';
import { eventually } from '../support/eventually.js';
import { createClient, peerCommonName } from '../support/https-client.js';

const quiet = createLogger({ level: 'error', stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const handlers = {
  '/mutate': (r: { uid: string; object?: unknown }) =>
    patched(r.uid, r.object, { ...(r.object as object), seen: true }),
};

function start(shutdownTimeoutMs: number): Promise<WebhookServer> {
  return startWebhookServer({ host: '127.0.0.1', port: 0, handlers, logger: quiet, shutdownTimeoutMs });
}

/** A raw TLS connection that sends the request head and the first half of the body, then waits. */
async function halfSentRequest(
  server: WebhookServer,
  uid: string,
): Promise<{ finish(): void; response: Promise<string> }> {
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid, object: { a: 1 } },
  });
  const socket = tls.connect({
    host: '127.0.0.1',
    port: server.port,
    ca: server.selfSigned!.cert,
    servername: 'localhost',
  });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: ` +
      `application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, half)}`,
  );
  const response = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => undefined); // the deadline test expects a reset
  });
  // The server has the request once it counts it in flight (then close() waits for it, not before).
  await eventually('the server to start the request', async () => (await inFlight(server)) > 0);
  return { finish: () => void socket.write(body.slice(half)), response };
}

async function inFlight(server: WebhookServer): Promise<number> {
  const gauge = server.registry.getSingleMetric('kserve_llmd_webhook_requests_in_flight');
  return gauge ? (await gauge.get()).values.reduce((sum, v) => sum + v.value, 0) : 0;
}

describe('graceful close', () => {
  it('stops accepting but finishes an in-flight request before resolving', async () => {
    const server = await start(10_000);
    const inflight = await halfSentRequest(server, 'uid-inflight');
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    await expect(peerCommonName(server.url, server.selfSigned!.cert)).rejects.toThrow(/ECONNREFUSED/);
    expect(closed).toBe(false);

    inflight.finish();
    const text = await inflight.response;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).response).toMatchObject({
      uid: 'uid-inflight',
      allowed: true,
    });
    await closing;
    expect(closed).toBe(true);
  });

  it('cuts a request that outlives the deadline', async () => {
    const server = await start(300);
    const stuck = await halfSentRequest(server, 'uid-stuck');
    const t0 = Date.now();
    await server.close(); // resolves at all (the request never finishes): the deadline cut it
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // and not before the deadline
    expect(await stuck.response).toBe(''); // connection closed without a response
  });

  it('does not wait for idle keep-alive connections (keepAliveTimeout is 65 s)', async () => {
    // Far apart on purpose: closing idle connections takes milliseconds, the shutdown deadline is 60 s, so the
    // bound below holds on a machine with every core busy and still fails if close() waited for the deadline.
    const server = await start(60_000);
    const client = createClient(server.url, { ca: server.selfSigned!.cert, connections: 2 });
    try {
      expect((await client.request('GET', '/healthz')).status).toBe(200);
      const t0 = Date.now();
      await server.close();
      expect(Date.now() - t0).toBeLessThan(30_000);
    } finally {
      await client.close();
    }
  });
});

describe('installSignalHandlers', () => {
  it('exits 0 after a graceful close on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const code =
      `
      const { startWebhookServer, installSignalHandlers } ` +
      `= await import(${JSON.stringify(new URL('../../webhooks/server.ts', import.meta.url).pathname)});
 ` +
      `     const { createLogger } = await ` +
      `import(${JSON.stringify(new URL('../../src/log.ts', import.meta.url).pathname)});
 ` +
      `     const logger = createLogger({ level: 'info' });
 ` +
      `     const s = await startWebhookServer({ host: ` +
      `'127.0.0.1', port: 0, handlers: {}, logger });
 ` +
      `     installSignalHandlers(s.close, logger);
 ` +
      `     console.log('READY');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY')) child.kill('SIGTERM');
    });
    const exit = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(exit).toBe(0);
    expect(out).toMatch(/"level":"info","msg":"shutting down","signal":"SIGTERM"/);
    expect(out).toMatch(/"msg":"closed"/);
  });
});
