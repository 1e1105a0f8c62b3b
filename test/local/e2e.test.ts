/**
 * `kserve-llmd local` end to end over loopback HTTP: the real gateway, the real decider loop, and bundled
 * engines as child processes (cold start 300 ms). One system goes through a whole life: wake from zero,
 * stream, survive an engine crash, scale each role under load, and return to zero when idle.
 *
 * Real time, on purpose: the engines are separate processes that serve on their own wall clock, and each
 * start costs a Node + tsx launch (about 1 s on an idle core, 5–10 s with every core busy). So the deadlines
 * here are generous (jest.config.js's 120 s per test, 20 s per wait, 60 s for waits that include engine
 * launches) and nothing asserts how fast anything happened. Only the decider's clock is the test's: idle
 * windows are skipped instead of waited out.
 */
import { createLogger } from '../../src/log.js';
import { startLocal, type LocalHandle } from '../../local/run.js';
import { eventually } from '../support/eventually.js';
import { alive, fastConfig, postJson, prompt, service } from './support.js';

const logger = createLogger({ level: 'error' });
let h: LocalHandle;
const pids = new Set<number>();
/** A wait that includes engine launches (5–10 s each with every core busy). */
const LAUNCHES = { timeoutMs: 60_000 };
/** The loop's clock: real time plus what the test skipped. */
let skippedMs = 0;
const now = (): number => Date.now() + skippedMs;

function trackPids(): void {
  for (const r of h.supervisor.replicas()) if (r.proc?.pid) pids.add(r.proc.pid);
}

beforeAll(async () => {
  // Prefill capacity is set low so a few long prompts a second need two prefill replicas.
  // The queue holds the first request through a cold start: an engine launch can take 10 s on a loaded machine.
  // Scale-down delay and scale-to-zero-after are 30 s of the decider's clock: with fastConfig's 0.5 s and 1 s,
  // a loaded machine's lull between 'prefill ready' and the next long prompt sent prefill back to zero before any
  // handoff ('timed out … waiting for a remote prefill handoff'); the idle test below skips them virtually.
  const cfg = fastConfig({
    autoscaler: { prefillTokensPerSec: 2_000, scaleDownDelayMs: 30_000, scaleToZeroAfterMs: 30_000 },
    queue: { timeoutMs: 60_000 },
  });
  const svc = service(
    {
      'kserve-llmd.io/disaggregation': 'prefill-decode',
      'kserve-llmd.io/decode-replicas': '0-3',
      'kserve-llmd.io/prefill-replicas': '0-2',
      'kserve-llmd.io/scale-to-zero-after': '30s',
    },
    cfg,
  );
  h = await startLocal(cfg, svc, logger, { now });
});

afterAll(async () => {
  trackPids();
  await h?.stop();
  // Every engine process this system started is gone.
  for (const pid of pids) expect(alive(pid)).toBe(false);
});

describe('kserve-llmd local', () => {
  it('starts at zero; the first request waits for the cold start and succeeds', async () => {
    expect(h.supervisor.replicas()).toHaveLength(0);
    const res = await postJson(`${h.url}/v1/completions`, { model: 'tiny', prompt: 'Hello there', max_tokens: 8 });
    expect(res.status).toBe(200);
    expect(res.json.object).toBe('text_completion');
    expect(res.json.usage.completion_tokens).toBe(8);
    expect(h.supervisor.ready('decode')).toHaveLength(1);
    expect(h.queue.stats()).toMatchObject({ queued: 0, released: 1, timedOut: 0 });
    expect(h.loop.changes.find((c) => c.role === 'decode')).toMatchObject({ from: 0, to: 1, reason: 'wake' });
    trackPids();
  });

  it('streams chat tokens incrementally as SSE, ending with [DONE]', async () => {
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(60_000), // generous: real time on a possibly loaded machine
      body: JSON.stringify({
        model: 'tiny',
        messages: [{ role: 'user', content: 'count' }],
        max_tokens: 120,
        stream: true,
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const reads: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read())
      reads.push(Buffer.from(r.value).toString('utf8'));
    const events = reads.join('').split('\n\n').filter(Boolean);
    expect(events[events.length - 1]).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text.trim().split(/\s+/)).toHaveLength(120);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    // Tokens arrived over many network reads, not as one body at the end.
    expect(reads.length).toBeGreaterThanOrEqual(5);
  });

  it('detects an engine crash and replaces it; requests keep succeeding', async () => {
    const victim = h.supervisor.ready('decode')[0];
    const pid = victim?.proc?.pid as number;
    expect(alive(pid)).toBe(true);
    pids.add(pid);
    process.kill(pid, 'SIGKILL');
    const replacement = await eventually(
      'a replacement decode replica',
      () => h.supervisor.ready('decode').find((r) => r.id !== victim?.id),
      LAUNCHES,
    );
    trackPids();
    expect(replacement?.proc?.pid).not.toBe(pid);
    const res = await postJson(`${h.url}/v1/completions`, { prompt: 'after the crash', max_tokens: 4 });
    expect(res.status).toBe(200);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/kserve_llmd_local_engine_restarts_total\{role="decode"\} 1/);
  });

  it('under sustained load raises decode and prefill replicas, and uses prefill for long prompts', async () => {
    let stop = false;
    const sent: Array<Promise<{ status: number }>> = [];
    // Decode: 2 sequences per replica, so 8 concurrent long generations queue up (waiting > 2 × ready).
    // Prefill: 4 clients sending ~2,600-token prompts back to back, well over 2,000 tok/s per replica.
    const worker = async (i: number, long: boolean): Promise<void> => {
      for (let n = 0; !stop && n < 200; n++) {
        const p = postJson(`${h.url}/v1/completions`, {
          prompt: long ? prompt(2_600, `w${i}n${n}`) : `load ${i} ${n}`,
          max_tokens: long ? 4 : 300,
        });
        sent.push(p);
        await p;
      }
    };
    const workers = [
      ...Array.from({ length: 8 }, (_, i) => worker(i, false)),
      ...Array.from({ length: 4 }, (_, i) => worker(100 + i, true)),
    ];
    try {
      await eventually('decode scaled to ≥ 2', () => h.supervisor.desired('decode') >= 2);
      await eventually('prefill scaled to 2', () => h.supervisor.desired('prefill') >= 2, LAUNCHES);
      await eventually('2 prefill replicas ready', () => h.supervisor.ready('prefill').length >= 2, LAUNCHES);
      trackPids();
      // Long prompts now go through P/D: prefilled on a prefill replica, decoded with its KV handle.
      await eventually('a remote prefill handoff', async () =>
        /kserve_llmd_local_remote_prefills_total\{result="ok"\} [1-9]/.test(
          await (await fetch(`${h.url}/metrics`)).text(),
        ),
      );
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    const results = await Promise.all(sent);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const reasons = new Set(h.loop.changes.filter((c) => c.to > c.from).map((c) => `${c.role}:${c.reason}`));
    expect([...reasons].some((r) => r.startsWith('decode:'))).toBe(true);
    expect([...reasons].some((r) => r.startsWith('prefill:'))).toBe(true);
  });

  it('returns every role to zero when idle, and stops the engine processes', async () => {
    trackPids();
    // Idle: each probe moves the decider's clock 1 s on, so the stable window, the scale-down delay and
    // scale-to-zero-after (30 s each here) pass in a few ticks instead of being waited out.
    await eventually('all roles at zero', () => {
      skippedMs += 1_000;
      return h.supervisor.replicas().length === 0;
    });
    const sleeps = h.loop.changes.filter((c) => c.to === 0).map((c) => `${c.role}:${c.reason}`);
    expect(sleeps).toContain('decode:idle-to-zero');
    expect(sleeps.some((s) => s.startsWith('prefill:'))).toBe(true);
    await eventually('engine processes exited', () => [...pids].every((p) => !alive(p)));
  });
});
