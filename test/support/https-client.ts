/**
 * Test HTTPS client: an undici Pool (keep-alive, bounded connections, timeouts everywhere) and a
 * raw TLS probe that opens a NEW connection to read the certificate the server presents now.
 */
import tls from 'node:tls';
import { Pool } from 'undici';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: unknown;
}

export interface ClientOptions {
  /** Trusted CA PEM(s); when absent the certificate is not verified (tests not about TLS). */
  ca?: string | string[];
  connections?: number;
}

export interface TestClient {
  request(method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<HttpResult>;
  postJson(path: string, body: unknown, contentType?: string): Promise<HttpResult>;
  close(): Promise<void>;
}

/**
 * Deadlines are real time and only a backstop against a hung server: far above a loopback HTTPS call with every
 * core busy (npm run test:load), where 5–15 s ones could cut a slow but correct answer.
 */
const DEADLINE_MS = 60_000;

export function createClient(url: string, opts: ClientOptions = {}): TestClient {
  const pool = new Pool(url, {
    connections: opts.connections ?? 4,
    keepAliveTimeout: 10_000,
    headersTimeout: DEADLINE_MS,
    bodyTimeout: DEADLINE_MS,
    connect: { timeout: DEADLINE_MS, ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }) },
  });
  const request = async (
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<HttpResult> => {
    const res = await pool.request({
      method: method as 'POST',
      path,
      body,
      headers,
      signal: AbortSignal.timeout(DEADLINE_MS),
    });
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, headers: res.headers, text, body: parsed };
  };
  return {
    request,
    postJson: (path, body, contentType = 'application/json') =>
      request('POST', path, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), {
        'content-type': contentType,
      }),
    close: () => pool.close(),
  };
}

/** Opens a fresh TLS connection (verified against `ca`) and returns the peer certificate's subject CN. */
export function peerCommonName(url: string, ca: string | string[]): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: hostname, port: Number(port), ca, servername: 'localhost', timeout: DEADLINE_MS },
      () => {
        const cn = socket.getPeerCertificate().subject?.CN;
        socket.end();
        resolve(Array.isArray(cn) ? cn.join(',') : String(cn));
      },
    );
    socket.once('timeout', () => socket.destroy(new Error('TLS probe timed out')));
    socket.once('error', reject);
  });
}
