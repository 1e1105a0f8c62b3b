/**
 * GET text pages from many endpoints: one undici Agent (a keep-alive pool per origin), bounded concurrency,
 * a deadline per request, a body size limit, and every response body consumed or destroyed — undici's pool
 * stalls otherwise (style.md §4.6).
 */
import { Agent, type Dispatcher } from 'undici';

export interface HttpTextOptions {
  /** Requests in flight at once across all endpoints. */
  concurrency: number;
  /** Whole-request deadline (connect + headers + body). */
  timeoutMs: number;
  maxBodyBytes: number;
  /** Idle keep-alive per connection: a 1–2 s tick reuses the same socket every time. */
  keepAliveMs: number;
  /** Optional bearer token (the EPP's metrics endpoint is authenticated, llm-d.md §1). */
  bearerToken?: () => string | undefined;
}

export type FetchFailure = 'timeout' | 'connect' | 'http' | 'too-large';

/** Where a streamed body goes: push() per chunk (may throw to reject the page), end() for the result. */
export interface BodySink<T> {
  push(chunk: Buffer): void;
  end(): T;
}

/** `http://host:port/path` → origin and path without a URL object per request (4,000 per tick). */
export function splitUrl(url: string): { origin: string; path: string } {
  const scheme = url.indexOf('://');
  const slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
  if (scheme < 0) {
    const u = new URL(url); // throws a clear error for a malformed URL
    return { origin: u.origin, path: `${u.pathname}${u.search}` };
  }
  return slash < 0 ? { origin: url, path: '/' } : { origin: url.slice(0, slash), path: url.slice(slash) };
}

export class FetchError extends Error {
  constructor(
    readonly kind: FetchFailure,
    message: string,
  ) {
    super(message);
  }
}

export class HttpText {
  private readonly agent: Agent;

  constructor(private readonly opts: HttpTextOptions) {
    this.agent = new Agent({
      connections: 1, // one scrape at a time per pod; concurrency is across pods
      pipelining: 1,
      keepAliveTimeout: opts.keepAliveMs,
      keepAliveMaxTimeout: opts.keepAliveMs,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connect: { timeout: Math.min(opts.timeoutMs, 2_000) },
    });
  }

  /** GET a page as text (the demand sources: a handful of small pages per tick). */
  async get(url: string): Promise<string> {
    const chunks: Buffer[] = [];
    await this.stream(url, { push: (c) => void chunks.push(Buffer.from(c)), end: () => undefined });
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * GET a page into `sink` chunk by chunk, as undici hands the chunks over (its low-level dispatch API: no
   * stream object, no async iterator, no whole-body buffer per request — 4,000 of those per tick were most of
   * the collector's CPU; bench autoscaler-loop). The body is always read to its end so the keep-alive socket
   * is reused, even when the status is not 200 or the sink has already thrown (a garbage page); only a body
   * over maxBodyBytes or the deadline aborts, which closes that one socket.
   */
  stream<T>(url: string, sink: BodySink<T>): Promise<T> {
    const { origin, path } = splitUrl(url);
    const headers: Record<string, string> = { accept: 'text/plain;version=0.0.4' };
    const token = this.opts.bearerToken?.();
    if (token) headers.authorization = `Bearer ${token}`;
    const { maxBodyBytes, timeoutMs } = this.opts;
    return new Promise<T>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | undefined;
      let status = 0;
      let size = 0;
      let failed: unknown;
      let settled = false;
      const finish = (err: unknown, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err === undefined) resolve(value as T);
        else reject(err);
      };
      // Whole-request deadline (connect + headers + body): undici's own timeouts are per phase.
      const timer = setTimeout(() => {
        const err = new FetchError('timeout', `GET ${url}: timed out after ${timeoutMs} ms`);
        if (controller && !controller.aborted) controller.abort(err);
        finish(err);
      }, timeoutMs);
      this.agent.dispatch(
        { origin, path, method: 'GET', headers },
        {
          onRequestStart: (c) => {
            controller = c;
          },
          onResponseStart: (_c, statusCode) => {
            status = statusCode;
          },
          onResponseData: (c, chunk) => {
            size += chunk.length;
            if (size > maxBodyBytes) {
              c.abort(new FetchError('too-large', `GET ${url}: body over ${maxBodyBytes} bytes`));
              return;
            }
            if (status !== 200 || failed !== undefined) return; // drained, not parsed
            try {
              sink.push(chunk);
            } catch (err) {
              failed = err;
            }
          },
          onResponseEnd: () => {
            if (status !== 200) return finish(new FetchError('http', `GET ${url}: HTTP ${status}`));
            if (failed !== undefined) return finish(failed);
            try {
              finish(undefined, sink.end());
            } catch (err) {
              finish(err);
            }
          },
          onResponseError: (_c, err) => finish(err instanceof FetchError ? err : classify(err, url)),
        },
      );
    });
  }

  /** Run `fn` over every item with at most `concurrency` in flight; results in input order. */
  async map<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
    const out = new Array<R>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, items.length) }, worker));
    return out;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function classify(err: unknown, url: string): FetchError {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || /Timeout/.test(e?.code ?? '')) {
    return new FetchError('timeout', `GET ${url}: timed out`);
  }
  return new FetchError('connect', `GET ${url}: ${e?.code ?? e?.message ?? String(err)}`);
}
