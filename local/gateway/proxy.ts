/**
 * Forwarding to engines over one undici Agent (keep-alive per engine, connect/headers/body timeouts, every body
 * consumed; style.md §4.6). Responses stream through as they arrive (SSE passes chunk by chunk, with
 * backpressure). The P/D handoff is the llm-d routing sidecar's (llm-d.md §3, router pkg/sidecar/proxy):
 * prefill with max_tokens=1 and kv_transfer_params.do_remote_decode, then decode with the returned params.
 */
import type { ServerResponse } from 'node:http';
import { Agent, request } from 'undici';
import { HttpError } from '../http.js';
import type { Replica } from '../replica.js';

/** The engine was not reached (refused, reset before headers): nothing was processed, the request may go elsewhere. */
export class UnreachableError extends Error {}

export function engineAgent(timeoutMs: number): Agent {
  return new Agent({
    keepAliveTimeout: 10_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: 2_000 },
  });
}

export interface Upstream {
  agent: Agent;
  signal: AbortSignal;
}

/** POST `body` to `r` and pipe the answer to `res`. Counts the request in r.inflight while it runs. */
export async function forward(
  u: Upstream,
  r: Replica,
  path: string,
  body: Record<string, unknown>,
  res: ServerResponse,
): Promise<number> {
  const { agent, signal } = u;
  r.inflight++;
  try {
    let up;
    try {
      up = await request(`${r.url}${path}`, {
        method: 'POST',
        dispatcher: agent,
        signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new UnreachableError(`${r.id} (${r.url}): ${(err as { code?: string }).code ?? (err as Error).message}`);
    }
    const type = up.headers['content-type'];
    res.writeHead(up.statusCode, {
      ...(typeof type === 'string' ? { 'content-type': type } : {}),
      'x-kserve-llmd-replica': r.id,
      ...(up.statusCode === 200 && /event-stream/.test(String(type)) ? { 'cache-control': 'no-cache' } : {}),
    });
    res.flushHeaders();
    try {
      for await (const chunk of up.body) {
        if (!res.write(chunk) && !(await drained(res))) break;
      }
      if (res.destroyed) up.body.destroy();
      else res.end();
    } catch (err) {
      up.body.destroy();
      // Headers are out: tell an SSE client in-band, then close (a JSON client sees a truncated body and an error).
      if (/event-stream/.test(String(type)) && !res.writableEnded) {
        res.end(
          `data: ` +
            JSON.stringify({
              object: 'error',
              message: `engine ${r.id} failed ` + `mid-response: ${(err as Error).message}`,
              type: 'EngineError',
              param: null,
              code: 502,
            }) +
            '\n\n',
        );
      } else res.destroy();
    }
    return up.statusCode;
  } finally {
    r.inflight--;
  }
}

/**
 * Wait until `res` can take more (true) or is gone (false). Waiting for 'drain' alone never ended when a client
 * stopped reading and then disconnected: the forward hung and its replica kept `inflight` 1 forever (issue 14).
 */
function drained(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => (): void => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** The prefill half of P/D: returns the KV handle for decode, or throws (the caller falls back to local prefill). */
export async function remotePrefill(
  agent: Agent,
  p: Replica,
  path: string,
  body: Record<string, unknown>,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const prefillBody: Record<string, unknown> = {
    ...body,
    max_tokens: 1,
    stream: false,
    kv_transfer_params: {
      do_remote_decode: true,
      do_remote_prefill: false,
      remote_engine_id: null,
      remote_block_ids: null,
      remote_host: null,
      remote_port: null,
    },
  };
  delete prefillBody.max_completion_tokens;
  delete prefillBody.stream_options;
  p.inflight++;
  try {
    const up = await request(`${p.url}${path}`, {
      method: 'POST',
      dispatcher: agent,
      signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(prefillBody),
    });
    const text = await up.body.text();
    if (up.statusCode !== 200)
      throw new HttpError(up.statusCode, `prefill on ${p.id}: HTTP ${up.statusCode}: ${text.slice(0, 200)}`);
    const kv = (JSON.parse(text) as { kv_transfer_params?: unknown }).kv_transfer_params;
    if (typeof kv !== 'object' || kv === null)
      throw new Error(
        `prefill on ${p.id}: no kv_transfer_params in the answer (is the engine's KV connector configured?)`,
      );
    return kv as Record<string, unknown>;
  } finally {
    p.inflight--;
  }
}
