/**
 * Issue 14, item 2: 40 concurrent 7 MB reviews used to take the webhook past its 256 Mi memory limit (710 MiB
 * peak RSS for reviews of empty objects). The real server runs in a child process (both handlers, real TLS) so
 * its peak RSS can be read; the bound it must stay under is the memory limit in the shipped manifest.
 *
 * Real time: this test moves about 100 MB over loopback TLS and takes several seconds on a busy 2-core machine;
 * it asserts no durations, only outcomes and the child's peak RSS, and its timeout is generous for that reason.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { MAX_BODY_BYTES } from '../../webhooks/admission-body.js';
import { ISVC_PATH } from '../../webhooks/isvc/handler.js';
import { POD_PATH } from '../../webhooks/pod/handler.js';
import { manifestMemoryLimitBytes } from './support/manifest.js';

const CONCURRENT = 40;
const CHILD = fileURLToPath(new URL('./support/webhook-child.ts', import.meta.url));

let child: ChildProcessByStdio<Writable, Readable, null>;
let lines: Interface;
const nextLine = (): Promise<Record<string, unknown>> =>
  new Promise((resolve) => lines.once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>)));

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  lines = createInterface({ input: child.stdout });
});

afterAll(() => {
  child.stdin.end();
});

/** An AdmissionReview of `bytes` bytes whose bulk is `filler` (a JSON value) at `object`'s "FILL" marker. */
function review(kind: 'InferenceService' | 'Pod', i: number, filler: (room: number) => string): Buffer {
  const object =
    kind === 'Pod'
      ? {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `p${i}`,
            namespace: 'm',
            labels: { 'kserve-llmd.io/pool': 'big', 'llm-d.ai/role': 'decode' },
          },
          spec: { containers: [{ name: 'kserve-container', image: 'x', args: ['--port=8000'] }], fill: 'FILL' },
        }
      : {
          apiVersion: 'serving.kserve.io/v1beta1',
          kind: 'InferenceService',
          metadata: {
            name: `s${i}`,
            namespace: 'm',
            annotations: { 'kserve-llmd.io/routing': 'prefix-aware', fill: 'FILL' },
          },
          spec: { predictor: { model: { modelFormat: { name: 'vLLM' } } } },
        };
  const text = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `u-${i}`,
      kind:
        kind === 'Pod' ? { group: '', version: 'v1', kind } : { group: 'serving.kserve.io', version: 'v1beta1', kind },
      operation: 'CREATE',
      object,
    },
  });
  const room = MAX_BODY_BYTES - 1024 - text.length;
  return Buffer.from(text.replace('"FILL"', filler(room)));
}

/** The two worst shapes measured: one huge string, and millions of empty objects (about 50× their size parsed). */
const hugeString = (room: number): string => JSON.stringify('x'.repeat(room - 2));
const emptyObjects = (room: number): string => `[${'{},'.repeat(Math.floor(room / 3) - 1)}{}]`;

it(`survives ${CONCURRENT} concurrent 7 MB reviews under the manifest's memory limit`, async () => {
  const { url, ca } = (await nextLine()) as { url: string; ca: string };
  const bodies = [review('InferenceService', 0, hugeString), review('Pod', 1, emptyObjects)];
  const agent = new Agent({ connections: CONCURRENT, connect: { ca, servername: 'localhost' } });
  const outcomes = await Promise.all(
    Array.from({ length: CONCURRENT }, async (_, i) => {
      try {
        const res = await request(`${url}${i % 2 === 0 ? ISVC_PATH : POD_PATH}`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: bodies[i % 2],
          headersTimeout: 60_000,
          bodyTimeout: 60_000,
        });
        await res.body.dump();
        return { status: res.statusCode, retryAfter: res.headers['retry-after'] };
      } catch (err) {
        // A refused 7 MB upload is answered at once and its connection closed: the writer may see the close.
        return { status: (err as { code?: string }).code ?? String(err) };
      }
    }),
  );
  await agent.close();
  const statuses = outcomes.map((o) => o.status);
  // Admitted, refused for now (429 + Retry-After), refused as too complex (413), or closed mid-upload; never a
  // 5xx, never a dead server.
  for (const s of statuses) expect([200, 413, 429, 'EPIPE', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(s);
  expect(statuses).toContain(200);
  for (const o of outcomes.filter((x) => x.status === 429)) expect(o.retryAfter).toBe('1');

  child.stdin.write('rss\n');
  const { maxRssBytes } = (await nextLine()) as { maxRssBytes: number };
  const limit = manifestMemoryLimitBytes('kserve-llmd-webhook');
  expect(maxRssBytes).toBeLessThan(limit);
}, 120_000);
