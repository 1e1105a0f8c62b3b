/**
 * Buffering at zero: over capacity → 429 with Retry-After, waiting past the timeout → 503, both JSON errors;
 * nothing accepted disappears. The engine here never finishes its cold start (60 s), so decode stays at zero.
 */
import { createLogger } from '../../src/log.js';
import { RequestQueue } from '../../local/queue.js';
import { HttpError } from '../../local/http.js';
import { startLocal, type LocalHandle } from '../../local/run.js';
import { eventually } from '../support/eventually.js';
import { fastConfig, postJson, service } from './support.js';

describe('RequestQueue', () => {
  it('releases waiters in order, rejects over capacity with 429 + Retry-After, and times out with 503', async () => {
    const q = new RequestQueue({ capacity: 2, timeoutMs: 200 });
    const order: number[] = [];
    const a = q.wait(10).then(() => order.push(1));
    const b = q.wait(3000).then(() => order.push(2));
    await expect(q.wait(5)).rejects.toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
    expect(q.demand()).toEqual({ queuedRequests: 2, queuedPromptTokens: 3010 });
    expect(q.demand(2048)).toEqual({ queuedRequests: 1, queuedPromptTokens: 3000 });
    q.release();
    await Promise.all([a, b]);
    expect(order).toEqual([1, 2]);
    await expect(q.wait(1)).rejects.toMatchObject({ status: 503 });
    const ac = new AbortController();
    const gone = q.wait(1, ac.signal);
    ac.abort();
    await expect(gone).rejects.toBeInstanceOf(HttpError);
    expect(q.stats()).toMatchObject({ queued: 0, released: 2, rejectedFull: 1, timedOut: 1, abandoned: 1 });
  });
});

describe('kserve-llmd local at zero with a slow engine', () => {
  let h: LocalHandle;

  beforeAll(async () => {
    // The queue timeout is real time (a request's deadline): 3 s, so the second request surely arrives while
    // the first still holds the only slot, even with every core busy (400 ms was not enough under load).
    const cfg = fastConfig({ queue: { capacity: 1, timeoutMs: 3_000 }, engine: { coldStartMs: 60_000 } });
    h = await startLocal(
      cfg,
      service({ 'kserve-llmd.io/decode-replicas': '0-2' }, cfg),
      createLogger({ level: 'error' }),
    );
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('answers 503 after the queue timeout and 429 with Retry-After over capacity', async () => {
    const first = postJson(`${h.url}/v1/completions`, { prompt: 'one', max_tokens: 2 });
    // The first request holds the only slot; the second is refused at once.
    await eventually('the first request queued', () => h.queue.stats().queued === 1);
    const second = await postJson(`${h.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'two' }] });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('3'); // the queue timeout, in seconds
    expect(second.json).toMatchObject({ object: 'error', type: 'TooManyRequests', code: 429 });
    const r1 = await first;
    expect(r1.status).toBe(503);
    expect(r1.json).toMatchObject({ object: 'error', type: 'ServiceUnavailable', code: 503 });
    expect(r1.json.message).toMatch(/no replica became ready within 3000 ms/);
    // The wake was decided and an engine is starting: buffering did its part.
    expect(h.supervisor.replicas('decode').map((r) => r.state)).toEqual(['starting']);
    expect(h.gateway.counts).toMatchObject({ tooMany: 1, unavailable: 1 });
  });

  it('rejects bad requests with vLLM-style JSON errors and never crashes', async () => {
    const bad = await fetch(`${h.url}/v1/completions`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ object: 'error', code: 400 });
    expect((await postJson(`${h.url}/v1/completions`, { model: 'other', prompt: 'x' })).status).toBe(404);
    expect((await postJson(`${h.url}/v1/completions`, { prompt: 42 })).status).toBe(400);
    const big = await fetch(`${h.url}/v1/completions`, { method: 'POST', body: 'x'.repeat(5 * 2 ** 20) }).catch(
      () => undefined,
    );
    if (big) expect(big.status).toBe(413);
    expect((await fetch(`${h.url}/v1/completions`)).status).toBe(405);
    const models: any = await (await fetch(`${h.url}/v1/models`)).json();
    expect(models.data[0].id).toBe('tiny');
  });
});
