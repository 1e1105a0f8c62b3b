/**
 * The bundled vLLM-compatible engine: the simulator's engine model (V1 continuous batching, chunked prefill,
 * prefix cache, roofline step times; model/engine.ts) on a wall clock behind vLLM's HTTP surface —
 * /v1/completions and /v1/chat/completions (JSON or SSE), /v1/models, /health and /metrics with vLLM's metric
 * names (model/prom.ts). P/D follows vLLM's NixlConnector protocol: a request with
 * kv_transfer_params.do_remote_decode runs as a 1-token prefill and returns the KV handle; one with
 * do_remote_prefill waits for the KV transfer time and skips the prompt's prefill (llm-d.md §3).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Engine, type EngineRequest } from '../../model/engine.js';
import { kvTransferSeconds } from '../../model/perf.js';
import type { EnginePreset } from '../../model/presets.js';
import { renderVllmMetrics } from '../../model/prom.js';
import { hardenServer, HttpError, listen, readJsonObject, sendError, sendJson } from '../http.js';
import { WallClock } from './clock.js';
import {
  chunk,
  DONE,
  fullResponse,
  parseGeneration,
  tokenText,
  usageChunk,
  type ApiKind,
  type Generation,
  type ResponseMeta,
} from './openai.js';

export interface EngineServerOptions {
  /** Served model name. */
  name: string;
  preset: EnginePreset;
  host: string;
  port: number;
  maxBodyBytes?: number;
}

const ROUTES: Record<string, ApiKind> = { '/v1/completions': 'completions', '/v1/chat/completions': 'chat' };

export class EngineServer {
  readonly clock = new WallClock();
  readonly engine: Engine;
  readonly server: Server;
  readonly engineId = randomUUID();
  private nextId = 0;
  private port = 0;
  private readonly maxModelLen: number;

  constructor(private readonly o: EngineServerOptions) {
    this.engine = new Engine(o.name, o.preset, this.clock);
    // vLLM streams every engine step; 25 ms macros keep chunks small at a few timers per 25 ms.
    this.engine.macroMaxS = 0.025;
    this.maxModelLen = Math.min(o.preset.kvCapacityTokens, 131_072);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => sendError(res, err));
    });
    hardenServer(this.server, { headersTimeoutMs: 10_000, keepAliveMs: 5_000, receiveTimeoutMs: 60_000 });
  }

  async listen(): Promise<number> {
    this.port = await listen(this.server, this.o.host, this.o.port);
    return this.port;
  }

  async close(): Promise<void> {
    this.clock.stop();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    const kind = ROUTES[path];
    if (kind) {
      if (req.method !== 'POST')
        throw new HttpError(405, `${path} accepts POST`, 'MethodNotAllowed', { allow: 'POST' });
      const body = await readJsonObject(req, this.o.maxBodyBytes ?? 4 * 2 ** 20);
      this.generate(parseGeneration(kind, body, this.o.name, this.maxModelLen), res);
      return;
    }
    if (req.method !== 'GET') throw new HttpError(405, `${path} accepts GET`, 'MethodNotAllowed', { allow: 'GET' });
    if (path === '/health') {
      res.writeHead(200, { 'content-length': 0 }).end();
    } else if (path === '/metrics') {
      const text = renderVllmMetrics(this.engine);
      res
        .writeHead(200, {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        })
        .end(text);
    } else if (path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: [
          {
            id: this.o.name,
            object: 'model',
            created: Math.floor(Date.now() / 1000),
            owned_by: 'vllm',
            root: this.o.preset.model,
            parent: null,
            max_model_len: this.maxModelLen,
          },
        ],
      });
    } else throw new HttpError(404, `no route ${path}`, 'NotFoundError');
  }

  private generate(g: Generation, res: ServerResponse): void {
    const meta: ResponseMeta = {
      id: `${g.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`,
      created: Math.floor(Date.now() / 1000),
    };
    const prefillOnly = g.kvTransfer?.do_remote_decode === true;
    const outputTokens = prefillOnly ? 1 : g.maxTokens;
    const streaming = g.stream && !prefillOnly;
    const parts: string[] = [];
    let emitted = 0;
    if (streaming)
      res
        .writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
        .flushHeaders();
    const request: EngineRequest = {
      id: this.nextId++,
      promptTokens: g.promptTokens,
      outputTokens,
      hashIds: g.hashIds,
      remotePrefilled: g.kvTransfer?.do_remote_prefill === true,
      onTokens: (_t, n) => {
        const k = Math.min(n, outputTokens - emitted);
        if (k <= 0) return;
        let text = '';
        for (let i = 0; i < k; i++) text += tokenText(emitted + i);
        const first = emitted === 0;
        emitted += k;
        if (streaming) {
          if (!res.writableEnded) res.write(chunk(g, meta, text, null, first));
        } else parts.push(text);
      },
      onDone: (_t, ok) => this.finish(g, res, { meta, ok, streaming, prefillOnly, text: parts.join(''), emitted }),
    };
    const start = (): void => this.engine.enqueue(request);
    // Decode after a remote prefill: the KV moves first (NIXL pull), then only the last prompt token is computed.
    if (request.remotePrefilled)
      this.clock.at(this.clock.now() + kvTransferSeconds(this.o.preset, g.promptTokens), start);
    else start();
  }

  private finish(
    g: Generation,
    res: ServerResponse,
    x: { meta: ResponseMeta; ok: boolean; streaming: boolean; prefillOnly: boolean; text: string; emitted: number },
  ): void {
    if (res.writableEnded) return;
    if (!x.ok) {
      const msg = `the prompt (${g.promptTokens} tokens) does not fit this engine's KV cache`;
      if (x.streaming)
        res.end(
          `data: ` +
            JSON.stringify({ object: 'error', message: msg, type: 'BadRequestError', param: null, code: 400 }) +
            '\n\n' +
            `${DONE}`,
        );
      else sendError(res, new HttpError(400, msg));
      return;
    }
    if (x.prefillOnly) {
      // vLLM NixlConnector answers a do_remote_decode request with the handle the decode side pulls from.
      const kv = {
        do_remote_prefill: true,
        do_remote_decode: false,
        remote_engine_id: this.engineId,
        remote_block_ids: g.hashIds,
        remote_host: this.o.host,
        remote_port: this.port,
        tp_size: this.o.preset.tp,
      };
      sendJson(res, 200, fullResponse(g, x.meta, x.text, x.emitted, { kv_transfer_params: kv }));
    } else if (x.streaming) {
      res.write(chunk(g, x.meta, '', 'length'));
      if (g.includeUsage) res.write(usageChunk(g, x.meta, x.emitted));
      res.end(DONE);
    } else sendJson(res, 200, fullResponse(g, x.meta, x.text, x.emitted));
  }
}
