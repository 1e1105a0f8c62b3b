import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { startHttpsServer } from '../../webhooks/https-server.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { webhookMetrics } from '../../webhooks/metrics.js';
import { CertReloader } from '../../webhooks/tls/cert-reloader.js';
import { allowed } from '../../webhooks/admission.js';
import { createWebhookApp } from '../../webhooks/app.js';
import { createClient, peerCommonName } from '../support/https-client.js';
import { eventually } from '../support/eventually.js';
import { certFor, makeCertDir, type PemPair } from '../support/tls.js';

const quiet = createLogger({ level: 'error', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

describe('serving certificate rotation', () => {
  let a: PemPair, b: PemPair, c: PemPair;
  beforeAll(async () => {
    [a, b, c] = await Promise.all([certFor('webhook-a'), certFor('webhook-b'), certFor('webhook-c')]);
  });

  it('serves a rotated pair to new connections without a restart, and never swaps in a broken pair', async () => {
    const certs = await makeCertDir(a);
    const registry = createRegistry();
    const metrics = webhookMetrics(registry);
    const app = createWebhookApp({
      handlers: { '/mutate': (r) => allowed(r.uid) },
      logger: quiet,
      metrics,
      ready: () => true,
    });
    const running = await startHttpsServer({
      app,
      host: '127.0.0.1',
      port: 0,
      certDir: certs.dir,
      logger: quiet,
      metrics,
      reloadIntervalMs: 100,
    });
    const server = running.server;
    const ca = [a.cert, b.cert, c.cert];
    const client = createClient(running.url, { ca: a.cert, connections: 1 });
    try {
      expect(await peerCommonName(running.url, ca)).toBe('webhook-a');
      expect((await client.request('GET', '/healthz')).status).toBe(200); // opens a keep-alive connection under A

      await certs.rotate(b);
      await eventually(
        'new connections served certificate B',
        async () => (await peerCommonName(running.url, ca)) === 'webhook-b',
      );
      expect(running.server).toBe(server);
      expect(running.reloader!.current()).toEqual(b);
      // The connection established under A keeps working: setSecureContext only affects new handshakes.
      expect((await client.request('GET', '/healthz')).status).toBe(200);

      // Mid-rotation states: a new cert with the old key, then a truncated cert. Neither replaces B.
      const failed = once(running.reloader!, 'reloadFailed');
      await certs.rotate({ cert: c.cert, key: b.key });
      await failed;
      expect(await peerCommonName(running.url, ca)).toBe('webhook-b');
      const failedAgain = once(running.reloader!, 'reloadFailed');
      await certs.rotate({ cert: c.cert.slice(0, 200), key: c.key });
      await failedAgain;
      expect(await peerCommonName(running.url, ca)).toBe('webhook-b');
      expect(running.reloader!.ready()).toBe(true);

      await certs.rotate(c);
      await eventually(
        'new connections served certificate C',
        async () => (await peerCommonName(running.url, ca)) === 'webhook-c',
      );

      const text = await registry.metrics();
      expect(text).toMatch(/kserve_llmd_webhook_certificate_reloads_total\{result="success"\} 3/); // A, B, C
      expect(text).toMatch(/kserve_llmd_webhook_certificate_reloads_total\{result="failure"\} 2/);
    } finally {
      await client.close();
      await running.close();
      await certs.cleanup();
    }
  });

  it('refuses to start when the directory holds no valid pair', async () => {
    const certs = await makeCertDir({ cert: a.cert, key: b.key });
    const reloader = new CertReloader({ dir: certs.dir, logger: quiet, intervalMs: 100 });
    await expect(reloader.start()).rejects.toThrow(/no valid tls.crt\/tls.key.*mismatch/i);
    reloader.close();
    await certs.cleanup();
  });

  it('notices a kubelet symlink swap through the directory watch alone (polling effectively off)', async () => {
    const certs = await makeCertDir(a);
    const reloader = new CertReloader({ dir: certs.dir, logger: quiet, intervalMs: 3_600_000 });
    try {
      await reloader.start();
      const reloaded = once(reloader, 'reload');
      await certs.rotate(b);
      const [pair] = (await reloaded) as [PemPair];
      expect(pair.cert).toBe(b.cert);
    } finally {
      reloader.close();
      await certs.cleanup();
    }
  });

  it('keeps the loaded pair and keeps running when the directory disappears', async () => {
    const certs = await makeCertDir(a);
    const registry = createRegistry();
    const metrics = webhookMetrics(registry);
    const reloader = new CertReloader({ dir: certs.dir, logger: quiet, metrics, intervalMs: 50 });
    try {
      await reloader.start();
      const failed = once(reloader, 'reloadFailed');
      await rename(certs.dir, `${certs.dir}-gone`); // atomically, so there is exactly one new state
      await rm(`${certs.dir}-gone`, { recursive: true, force: true });
      const [err] = (await failed) as [NodeJS.ErrnoException];
      expect(err.code).toBe('ENOENT');
      await new Promise((r) => setTimeout(r, 300)); // several polls: reported once, not per poll
      expect(reloader.current()).toEqual(a);
      expect(await registry.metrics()).toMatch(/certificate_reloads_total\{result="failure"\} 1\n/);
    } finally {
      reloader.close();
    }
  });
});
