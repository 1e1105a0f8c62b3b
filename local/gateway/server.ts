/**
 * The OpenAI-compatible gateway: /v1/completions and /v1/chat/completions (JSON or SSE, streamed through),
 * /v1/models, /health, /metrics. A request finds a ready decode replica through the router, or waits in the
 * bounded queue while decode is at zero (which pokes the autoscaler loop, as the Knative activator pokes the
 * KPA); with P/D it is prefilled on a prefill replica first when its uncached part is long. An engine that
 * refuses the connection (crashed) is retried on another replica, so a crash loses no request that had not
 * reached it. Bodies are bounded, every socket has timeouts and connections are capped (http.ts). On shutdown
 * `drain()` stops accepting and lets requests in flight finish before the engines are stopped (run.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../../src/log.js';
import type { LocalConfig } from '../config.js';
import { hardenServer, HttpError, listen, readJsonObject, sendError, sendJson, serverOptions } from '../http.js';
import type { LocalMetrics } from '../metrics.js';
import type { RequestQueue } from '../queue.js';
import type { Replica } from '../replica.js';
import type { LocalRouter } from '../router.js';
import type { LocalService } from '../service.js';
import type { Supervisor } from '../supervisor.js';
import { promptShape, promptText, type PromptShape } from '../tokens.js';
import { engineAgent, forward, remotePrefill, UnreachableError } from './proxy.js';

export interface GatewayDeps {
  service: LocalService;
  cfg: LocalConfig['gateway'];
  supervisor: Supervisor;
  router: LocalRouter;
  queue: RequestQueue;
  registry: Registry;
  metrics: LocalMetrics;
  logger: Logger;
  /** Called before /metrics is rendered, so gauges are current whatever view runs (issue 14). */
  refreshGauges?: () => void;
}

const INFERENCE = new Set(['/v1/completions', '/v1/chat/completions']);
/** Attempts to reach a decode replica (a crashed one is skipped); bounded so a crash loop cannot spin. */
const MAX_ATTEMPTS = 3;

export class Gateway {
  readonly server: Server;
  private readonly agent;
  readonly counts = { ok: 0, tooMany: 0, unavailable: 0, other: 0 };
  /** Requests received and not yet answered (or abandoned): what drain() waits for. */
  private active = 0;
  private draining = false;
  private onIdle?: () => void;
  private listenerClosed?: Promise<void>;

  constructor(private readonly d: GatewayDeps) {
    this.agent = engineAgent(d.cfg.requestTimeoutMs);
    this.server = createServer(serverOptions(), (req, res) => {
      const started = process.hrtime.bigint();
      const route = INFERENCE.has(pathOf(req)) ? pathOf(req) : 'other';
      res.once('finish', () => this.record(route, res.statusCode, started));
      this.active++;
      res.once('close', () => {
        if (--this.active === 0) this.onIdle?.();
      });
      if (this.draining) {
        // Shutting down: answer, and let this keep-alive connection go.
        res.setHeader('connection', 'close');
        sendError(res, new HttpError(503, 'kserve-llmd local is shutting down', 'ServiceUnavailable'));
        return;
      }
      this.handle(req, res).catch((err: unknown) => {
        if (!(err instanceof HttpError))
          d.logger.warn('request failed', { path: pathOf(req), error: (err as Error).message });
        sendError(res, err);
      });
    });
    hardenServer(this.server, {
      headersTimeoutMs: d.cfg.headersTimeoutMs,
      keepAliveMs: d.cfg.keepAliveMs,
      receiveTimeoutMs: d.cfg.bodyTimeoutMs,
      maxConnections: d.cfg.maxConnections,
    });
  }

  listen(): Promise<number> {
    return listen(this.server, this.d.cfg.host, this.d.cfg.port);
  }

  /**
   * Stop accepting (new requests on open connections get 503 and a closed connection) and wait until every
   * request in flight is answered, at most `timeoutMs`. The engines are still running meanwhile.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    void this.stopListening();
    this.server.closeIdleConnections();
    if (this.active === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.onIdle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.onIdle = undefined;
  }

  /** Requests in flight (tests, the drain). */
  get inFlight(): number {
    return this.active;
  }

  async close(): Promise<void> {
    const closed = this.stopListening();
    this.server.closeIdleConnections();
    const cut = setTimeout(() => this.server.closeAllConnections(), 2_000);
    cut.unref();
    await closed;
    clearTimeout(cut);
    await this.agent.close();
  }

  /** server.close() once; resolves when every connection is gone. */
  private stopListening(): Promise<void> {
    this.listenerClosed ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
    return this.listenerClosed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    if (INFERENCE.has(path)) {
      if (req.method !== 'POST')
        throw new HttpError(405, `${path} accepts POST`, 'MethodNotAllowed', { allow: 'POST' });
      return this.inference(path, await readJsonObject(req, this.d.cfg.maxBodyBytes), res);
    }
    if (req.method !== 'GET') throw new HttpError(405, `${path} accepts GET`, 'MethodNotAllowed', { allow: 'GET' });
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/metrics') {
      this.d.refreshGauges?.();
      const text = await this.d.registry.metrics();
      res.writeHead(200, { 'content-type': this.d.registry.contentType }).end(text);
      return;
    }
    if (path === '/v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: [
          { id: this.d.service.name, object: 'model', created: 0, owned_by: 'kserve-llmd', root: this.d.service.model },
        ],
      });
    }
    throw new HttpError(
      404,
      `no route ${path}; try /v1/completions, /v1/chat/completions, /v1/models`,
      'NotFoundError',
    );
  }

  private async inference(path: string, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const s = this.d.service;
    if (body.model !== undefined && body.model !== s.name)
      throw new HttpError(
        404,
        `The model \`${String(body.model)}\` does not exist; this gateway serves \`${s.name}\`.`,
        'NotFoundError',
      );
    const text = promptText(body);
    if (text === undefined)
      throw new HttpError(
        400,
        path.includes('chat')
          ? 'messages must be a list of {role, content}'
          : 'prompt must be a string or a list of strings',
      );
    const shape = promptShape(text);
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const deadline = AbortSignal.any([abort.signal, AbortSignal.timeout(this.d.cfg.requestTimeoutMs)]);
    for (let attempt = 1; ; attempt++) {
      const decode = await this.acquireDecode(shape, deadline);
      const upstream = await this.withPrefill(path, body, shape, decode, deadline);
      decode.prefix.add(shape.hashIds);
      try {
        await forward({ agent: this.agent, signal: deadline }, decode, path, { ...upstream, model: s.name }, res);
        return;
      } catch (err) {
        if (!(err instanceof UnreachableError) || attempt >= MAX_ATTEMPTS)
          throw err instanceof UnreachableError
            ? new HttpError(502, `no engine reachable: ${err.message}`, 'BadGateway')
            : err;
        this.d.logger.info('engine unreachable; retrying on another replica', { error: err.message, attempt });
        this.d.supervisor.unreachable(decode);
      }
    }
  }

  /** A ready decode replica now, or after waiting in the queue while decode starts from zero. */
  private async acquireDecode(shape: PromptShape, signal: AbortSignal): Promise<Replica> {
    for (;;) {
      const ready = this.d.supervisor.ready('decode');
      if (ready.length > 0) return this.d.router.pick(shape, ready);
      if (signal.aborted)
        throw new HttpError(503, 'request deadline passed while waiting for a replica', 'ServiceUnavailable');
      await this.d.queue.wait(shape.promptTokens, signal);
    }
  }

  /**
   * P/D: prefill remotely when worth it; on any prefill failure decode prefills locally (llm-d: no header → local P+D).
   */
  private async withPrefill(
    path: string,
    body: Record<string, unknown>,
    shape: PromptShape,
    decode: Replica,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const prefills = this.d.supervisor.ready('prefill');
    if (prefills.length === 0 || !this.d.router.wantsRemotePrefill(shape, decode)) return body;
    const p = this.d.router.pick(shape, prefills);
    p.prefix.add(shape.hashIds);
    try {
      const kv = await remotePrefill(this.agent, p, path, { ...body, model: this.d.service.name }, signal);
      this.d.metrics.remotePrefills.inc({ result: 'ok' });
      return { ...body, kv_transfer_params: kv };
    } catch (err) {
      if (signal.aborted) throw err;
      this.d.metrics.remotePrefills.inc({ result: 'fallback' });
      this.d.logger.warn('remote prefill failed; decode prefills locally', {
        prefill: p.id,
        error: (err as Error).message,
      });
      return body;
    }
  }

  private record(route: string, code: number, started: bigint): void {
    this.d.metrics.requests.inc({ route, code: String(code) });
    this.d.metrics.latency.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    if (route === 'other') return;
    if (code === 200) this.counts.ok++;
    else if (code === 429) this.counts.tooMany++;
    else if (code === 503) this.counts.unavailable++;
    else this.counts.other++;
  }
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] as string;
}
