/**
 * Serving-certificate hot reload, modelled on controller-runtime pkg/certwatcher: read once at
 * start, then watch the directory AND poll (default 10 s), and swap the certificate only when the
 * bytes change. Existing connections keep their session; new handshakes use the new pair.
 *
 * Why the directory: a Secret volume is `dir/tls.crt -> ..data/tls.crt`, and kubelet rotates by
 * atomically renaming the `..data` symlink, so a watch on the files themselves sees nothing.
 * Why also poll: inotify can be unavailable (ENOSPC watch limit, some overlay/NFS mounts).
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import tls, { type SecureContextOptions } from 'node:tls';
import type { Logger } from '../../src/log.js';
import type { WebhookMetrics } from '../metrics.js';
import type { PemPair } from './self-signed.js';

export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

export interface CertReloaderOptions {
  dir: string;
  logger: Logger;
  metrics?: Pick<WebhookMetrics, 'certificateReloads'>;
  /** Poll period; controller-runtime certwatcher uses 10 s. */
  intervalMs?: number;
  /** fs.watch the directory as well as polling (default true). */
  watch?: boolean;
}

/** Events: 'reload' (pair) after a new pair is in use, 'reloadFailed' (error) when a read/validate failed. */
export class CertReloader extends EventEmitter {
  private pair: PemPair | undefined;
  private target: SecureContextTarget | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private running: Promise<boolean> | undefined;
  private again = false;
  private lastFailure = '';
  private lastError = 'unknown error';
  private closed = false;

  constructor(private readonly opts: CertReloaderOptions) {
    super();
  }

  /** Loads the first pair (throws if none is valid: no point serving without one), then watches. */
  async start(): Promise<PemPair> {
    await this.reload();
    if (!this.pair) throw new Error(`no valid tls.crt/tls.key in ${this.opts.dir}: ${this.lastError}`);
    this.timer = setInterval(() => this.trigger(), this.opts.intervalMs ?? 10_000);
    this.timer.unref();
    if (this.opts.watch !== false) this.startWatch();
    return this.pair;
  }

  /** The server whose secure context is replaced on change (its initial context is current()). */
  attach(target: SecureContextTarget): void {
    this.target = target;
  }

  current(): PemPair | undefined {
    return this.pair;
  }

  ready(): boolean {
    return this.pair !== undefined;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Reads and, when changed and valid, applies the pair. Coalesces concurrent calls. Never throws. */
  reload(): Promise<boolean> {
    if (this.running) {
      this.again = true; // an event arrived mid-read: read once more afterwards
      return this.running;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  private async loop(): Promise<boolean> {
    let changed = false;
    do {
      this.again = false;
      changed = (await this.loadOnce()) || changed;
    } while (this.again && !this.closed);
    return changed;
  }

  private trigger(): void {
    if (!this.closed) void this.reload();
  }

  private async loadOnce(): Promise<boolean> {
    let next: PemPair | undefined;
    try {
      next = await this.readPair();
      const { cert, key } = next;
      if (this.pair && cert === this.pair.cert && key === this.pair.key) return false;
      // Validate before swapping: a half-written or mismatched pair (cert renewed, key not yet)
      // throws here ("key values mismatch") and the good pair stays in place.
      const options: SecureContextOptions = { cert, key, minVersion: 'TLSv1.2' };
      tls.createSecureContext(options);
      this.target?.setSecureContext(options);
    } catch (err) {
      this.fail(err, next);
      return false;
    }
    const first = this.pair === undefined;
    this.pair = next;
    this.lastFailure = '';
    this.opts.metrics?.certificateReloads.inc({ result: 'success' });
    this.opts.logger.info(first ? 'serving certificate loaded' : 'serving certificate reloaded', {
      dir: this.opts.dir,
    });
    this.emit('reload', next);
    return true;
  }

  /**
   * Reads tls.crt, tls.key, then tls.crt again: if kubelet swapped `..data` between the reads we
   * would pair the old cert with the new key, so retry until the cert is stable. Sequential reads
   * also make a missing directory fail the same way every time (fail() dedups on the message).
   */
  private async readPair(): Promise<PemPair> {
    const read = (name: string): Promise<string> => readFile(join(this.opts.dir, name), 'utf8');
    for (let attempt = 1; ; attempt++) {
      const cert = await read('tls.crt');
      const key = await read('tls.key');
      if (attempt >= 3 || (await read('tls.crt')) === cert) return { cert, key };
    }
  }

  private fail(err: unknown, seen: PemPair | undefined): void {
    const message = err instanceof Error ? err.message : String(err);
    // The same broken content is seen on every poll; report it once, not every 10 s.
    const fingerprint =
      `${message}|` + `${seen ? createHash('sha256').update(seen.cert).update(seen.key).digest('hex') : ''}`;
    if (fingerprint === this.lastFailure) return;
    this.lastFailure = fingerprint;
    this.lastError = message;
    this.opts.metrics?.certificateReloads.inc({ result: 'failure' });
    this.opts.logger.error('serving certificate reload failed; keeping the current one', {
      dir: this.opts.dir,
      error: message,
    });
    this.emit('reloadFailed', err);
  }

  private startWatch(): void {
    try {
      this.watcher = watch(this.opts.dir, { persistent: false }, () => this.trigger());
      this.watcher.on('error', (err) => {
        this.opts.logger.warn('certificate directory watch failed; polling only', {
          dir: this.opts.dir,
          error: err.message,
        });
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.opts.logger.warn('cannot watch certificate directory; polling only', {
        dir: this.opts.dir,
        error: String(err),
      });
    }
  }
}
