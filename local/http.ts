/**
 * HTTP helpers shared by the gateway and the bundled engine: bounded body reads, JSON answers, errors in
 * vLLM's OpenAI-compatible shape ({object:"error", message, type, param, code}; vllm/entrypoints/openai/protocol.py
 * ErrorResponse), and server timeouts set in one place.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'BadRequestError',
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The whole body, or HttpError 413 past `limit` bytes (the socket is drained, not trusted further). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(
        new HttpError(413, `request body of ${declared} bytes is over the ${limit}-byte limit`, 'RequestTooLarge'),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `request body is over the ${limit}-byte limit`, 'RequestTooLarge'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Parse a JSON object body; anything else is a 400 naming the problem. */
export async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const buf = await readBody(req, limit);
  let body: unknown;
  try {
    body = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `request body is not JSON: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'request body must be a JSON object');
  return body as Record<string, unknown>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function errorBody(status: number, message: string, type: string): Record<string, unknown> {
  return { object: 'error', message, type, param: null, code: status };
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError) sendJson(res, err.status, errorBody(err.status, err.message, err.type), err.headers);
  else sendJson(res, 500, errorBody(500, err instanceof Error ? err.message : String(err), 'InternalServerError'));
}

/**
 * Timeouts on every server (style.md §4.7): slow-loris headers, idle keep-alive, and a bound on receiving a
 * request (`receiveTimeoutMs`, Node's requestTimeout). Responses may stream longer than that (generation), which
 * requestTimeout does not limit. Node checks these timeouts every `connectionsCheckingInterval` (30 s unless the
 * server was created with `serverOptions()`), and `maxConnections` caps open sockets.
 */
export function hardenServer(
  server: Server,
  o: { headersTimeoutMs: number; keepAliveMs: number; receiveTimeoutMs: number; maxConnections?: number },
): void {
  server.headersTimeout = o.headersTimeoutMs;
  server.requestTimeout = o.receiveTimeoutMs;
  server.keepAliveTimeout = o.keepAliveMs;
  server.maxHeadersCount = 100;
  if (o.maxConnections !== undefined) server.maxConnections = o.maxConnections;
}

/** http.createServer options: check header/body timeouts every second, not every 30 s (Node's default). */
export const serverOptions = (): { connectionsCheckingInterval: number } => ({ connectionsCheckingInterval: 1_000 });

/** Listen, turning EADDRINUSE and friends into one readable line. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE')
        reject(
          new ListenError(
            `${host}:${port} is already in use (EADDRINUSE); stop the other process or choose another port with --port`,
          ),
        );
      else if (err.code === 'EACCES')
        reject(new ListenError(`${host}:${port}: permission denied (EACCES); ports below 1024 need privileges`));
      else reject(new ListenError(`${host}:${port}: ${err.message}`));
    };
    const onListening = (): void => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export class ListenError extends Error {}
