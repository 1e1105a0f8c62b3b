/**
 * In-cluster credentials without client-node (which costs ~88 MB of RSS to import, docs/benchmarks.md):
 * the pod's service-account token, the cluster CA and the API server's address, as client-go's
 * rest.InClusterConfig reads them.
 *
 * Usage:
 *   const kc = loadInClusterConfig();            // undefined when not in a pod (no env or no token file)
 *   createKubeClient(kc);                        // applyToHTTPSOptions sets the CA and a fresh bearer token
 *
 * Token rotation: projected service-account tokens are bound and expire; kubelet rewrites the file before
 * expiry (at 80% of its lifetime, ~hourly by default). client-go re-reads the file at most once a minute
 * (transport.NewCachedFileTokenSource, period time.Minute) and keeps the last token when a re-read fails;
 * this does the same.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { RequestOptions } from 'node:https';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_RELOAD_MS = 60_000;

export interface InClusterOptions {
  /** The mounted service-account directory (token, ca.crt, namespace). */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** Re-read the token file at most this often (client-go: one minute). */
  tokenReloadMs?: number;
  now?: () => number;
}

export class InClusterConfig {
  readonly server: string;
  /** The pod's namespace (the `namespace` file), or undefined when it is not mounted. */
  readonly namespace: string | undefined;
  /** The cluster CA; undefined when ca.crt is missing (client-go then logs and uses the system roots). */
  readonly ca: string | undefined;
  private readonly tokenFile: string;
  private readonly reloadMs: number;
  private readonly now: () => number;
  private token: { value: string; readAt: number } | undefined;
  private reading: Promise<string> | undefined;
  /** The last failed re-read (the previous token stays in use), for logs and tests. */
  lastTokenError: Error | undefined;

  constructor(host: string, port: string, opts: InClusterOptions = {}) {
    const dir = opts.dir ?? SERVICE_ACCOUNT_DIR;
    // client-go: "https://" + net.JoinHostPort(host, port); IPv6 literals in brackets.
    this.server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
    this.tokenFile = join(dir, 'token');
    this.reloadMs = opts.tokenReloadMs ?? TOKEN_RELOAD_MS;
    this.now = opts.now ?? Date.now;
    this.ca = readOptional(join(dir, 'ca.crt'));
    this.namespace = readOptional(join(dir, 'namespace'))?.trim() || undefined;
  }

  getCurrentCluster(): { name: string; server: string; skipTLSVerify: boolean } {
    return { name: 'in-cluster', server: this.server, skipTLSVerify: false };
  }

  /** The same contract as client-node's KubeConfig.applyToHTTPSOptions (src/kube.ts KubeAuth). */
  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const token = await this.currentToken();
    if (this.ca) opts.ca = this.ca;
    opts.headers = { ...(Array.isArray(opts.headers) ? {} : opts.headers), Authorization: `Bearer ${token}` };
  }

  /** The token, re-read when the cached one is older than tokenReloadMs. */
  async currentToken(): Promise<string> {
    const t = this.token;
    if (t && this.now() - t.readAt < this.reloadMs) return t.value;
    this.reading ??= this.readToken().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readToken(): Promise<string> {
    try {
      const value = (await readFile(this.tokenFile, 'utf8')).trim();
      if (!value) throw new Error(`${this.tokenFile} is empty`);
      this.token = { value, readAt: this.now() };
      this.lastTokenError = undefined;
      return value;
    } catch (err) {
      this.lastTokenError = err as Error;
      // client-go cachingTokenSource: on a failed refresh keep serving the token it has.
      if (this.token) {
        this.token.readAt = this.now();
        return this.token.value;
      }
      throw new Error(`cannot read the service-account token ${this.tokenFile}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The in-cluster config when this process runs in a pod (client-go: KUBERNETES_SERVICE_HOST and
 * KUBERNETES_SERVICE_PORT set) and the token is mounted; undefined otherwise (automountServiceAccountToken:
 * false, or not in a pod), so the caller falls back to kubeconfig files.
 */
export function loadInClusterConfig(opts: InClusterOptions = {}): InClusterConfig | undefined {
  const env = opts.env ?? process.env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  if (!existsSync(join(opts.dir ?? SERVICE_ACCOUNT_DIR, 'token'))) return undefined;
  return new InClusterConfig(host, port, opts);
}
