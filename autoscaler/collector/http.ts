/**
 * GET text pages from many endpoints: one undici Agent (a keep-alive pool per origin), bounded concurrency,
 * a deadline per request, a body size limit, and every response body consumed or destroyed — undici's pool
 * stalls otherwise (style.md §4.6).
 */
import { Agent, request } from 'undici';

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

export class FetchError extends Error {
  constructor(readonly kind: FetchFailure, message: string) {
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

  async get(url: string): Promise<string> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    const headers: Record<string, string> = { accept: 'text/plain;version=0.0.4' };
    const token = this.opts.bearerToken?.();
    if (token) headers.authorization = `Bearer ${token}`;
    let res;
    try {
      res = await request(url, { method: 'GET', dispatcher: this.agent, signal, headers });
    } catch (err) {
      throw classify(err, url);
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined);
      throw new FetchError('http', `GET ${url}: HTTP ${res.statusCode}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > this.opts.maxBodyBytes) {
          res.body.destroy();
          throw new FetchError('too-large', `GET ${url}: body over ${this.opts.maxBodyBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof FetchError) throw err;
      throw classify(err, url);
    }
    return Buffer.concat(chunks).toString('utf8');
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
