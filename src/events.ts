/**
 * CloudEvents (v1.0, binary content mode) to a sink, never in the caller's way.
 *
 * `emit()` is synchronous and returns at once: events go into a bounded buffer that one background sender
 * drains over an undici Pool (keep-alive, connect/headers/body timeouts, style.md §4.6; cloudevents' own
 * httpTransport has neither, §4.4). A failed or dropped event is counted in
 * `kserve_llmd_cloudevents_total{type,result}` and logged at debug; it never throws. No sink = disabled.
 *
 * Usage:
 *   const events = createEventEmitter({
 *     sink: config.sink ?? process.env.K_SINK, source: 'kserve-llmd/controller', registry,
 *   });
 *   events.emit('dev.kserve-llmd.routing.ready', 'models/llama', { objects: [...] });
 *   events.emit(type, subject, data, { source: '/apis/…/podautoscalers/x' });   // per-event source
 *   await events.close();   // flushes for up to 2 s
 * The sink is Knative's K_SINK when a SinkBinding/ContainerSource injects it (Knative Eventing convention).
 */
import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import { Counter, type Registry } from 'prom-client';
import { Pool } from 'undici';
import type { Logger } from './log.js';

export interface EventEmitterOptions {
  sink?: string;
  source: string;
  registry?: Registry;
  logger?: Logger;
  /** Events held while the sink is slow; beyond this the newest is dropped (and counted). */
  bufferSize?: number;
  timeoutMs?: number;
}

/** Per-event attributes (optional; the emitter's own apply otherwise). */
export interface EmitOptions {
  /**
   * CloudEvents `source` of this event (a URI-reference) instead of the emitter's: when one process speaks for
   * many objects, the object that acted (the autoscaler: the PodAutoscaler that decided, issue 5).
   */
  source?: string;
}

export interface EventEmitter {
  readonly enabled: boolean;
  emit(type: string, subject: string, data: Record<string, unknown>, opts?: EmitOptions): void;
  /** Send what is buffered (up to `deadlineMs`), then close connections. */
  close(deadlineMs?: number): Promise<void>;
}

type Result = 'sent' | 'failed' | 'dropped';

function counter(registry: Registry | undefined): Counter<'type' | 'result'> | undefined {
  if (!registry) return undefined;
  const existing = registry.getSingleMetric('kserve_llmd_cloudevents_total');
  if (existing) return existing as Counter<'type' | 'result'>;
  return new Counter({
    name: 'kserve_llmd_cloudevents_total',
    help: 'CloudEvents by type and result (sent: 2xx from the sink; failed: error or non-2xx; dropped: buffer full).',
    labelNames: ['type', 'result'] as const,
    registers: [registry],
  });
}

export function createEventEmitter(opts: EventEmitterOptions): EventEmitter {
  const count = counter(opts.registry);
  const record = (type: string, result: Result): void => count?.inc({ type, result });
  if (!opts.sink) {
    return { enabled: false, emit: () => undefined, close: async () => undefined };
  }
  const url = new URL(opts.sink);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`cloudevents sink ${opts.sink}: must be an http(s) URL`);
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const pool = new Pool(url.origin, {
    connections: 4,
    keepAliveTimeout: 10_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: 2_000 },
  });
  const path = `${url.pathname}${url.search}`;
  const buffer: CloudEvent<Record<string, unknown>>[] = [];
  const limit = opts.bufferSize ?? 1_000;
  let sending: Promise<void> | undefined;

  async function send(ce: CloudEvent<Record<string, unknown>>): Promise<void> {
    const message = HTTP.binary(ce);
    try {
      const res = await pool.request({
        path,
        method: 'POST',
        headers: message.headers as Record<string, string>,
        body: message.body as string,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      record(ce.type, res.statusCode >= 200 && res.statusCode < 300 ? 'sent' : 'failed');
      if (res.statusCode >= 300)
        opts.logger?.debug('cloudevent rejected by sink', { type: ce.type, status: res.statusCode });
    } catch (err) {
      record(ce.type, 'failed');
      opts.logger?.debug('cloudevent not delivered', { type: ce.type, error: String((err as Error).message ?? err) });
    }
  }

  async function drain(): Promise<void> {
    for (let ce = buffer.shift(); ce; ce = buffer.shift()) await send(ce);
    sending = undefined;
  }

  return {
    enabled: true,
    emit(type, subject, data, o) {
      if (buffer.length >= limit) {
        record(type, 'dropped');
        return;
      }
      let ce: CloudEvent<Record<string, unknown>>;
      try {
        ce = new CloudEvent({
          id: randomUUID(),
          specversion: '1.0',
          type,
          source: o?.source || opts.source,
          subject,
          datacontenttype: 'application/json',
          data,
        });
      } catch (err) {
        // An attribute the CloudEvents spec rejects: count it, never throw into the caller's loop.
        record(type, 'failed');
        opts.logger?.debug('cloudevent not built', { type, error: String((err as Error).message ?? err) });
        return;
      }
      buffer.push(ce);
      sending ??= drain();
    },
    async close(deadlineMs = 2_000) {
      const timer = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
      await Promise.race([sending ?? Promise.resolve(), timer]);
      for (const ce of buffer.splice(0)) record(ce.type, 'dropped');
      await pool.destroy();
    },
  };
}
