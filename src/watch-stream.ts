/**
 * The Kubernetes watch wire format, pure: a watch response is a chunked body of newline-delimited JSON
 * objects `{"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR", "object": {...}}`
 * (apimachinery pkg/apis/meta/v1 WatchEvent; kube-apiserver writes one event per line with a JSON
 * framer). Chunk boundaries fall anywhere, including inside a multi-byte UTF-8 character, so lines are
 * cut on the byte 0x0A and decoded only when whole.
 *
 * Usage:
 *   const dec = new WatchDecoder();
 *   for await (const chunk of body) dec.push(chunk, handle);   // throws WatchStreamError on a bad line
 *   dec.end(handle);                                           // a trailing line must be a whole event
 *
 * A line that is not a watch event ends the watch with an error, as client-go's StreamWatcher does
 * ("unable to decode an event from the watch stream"); the caller resumes from the last good
 * resourceVersion, so nothing is lost.
 */
import { isRecord } from './types/kube.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
const TYPES: ReadonlySet<string> = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

export interface WatchEvent {
  type: WatchEventType;
  /** The object; for ERROR a metav1.Status ({code: 410, reason: 'Expired'} when the resourceVersion is compacted). */
  object: Record<string, unknown>;
}

export class WatchStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchStreamError';
  }
}

/**
 * The largest line accepted. etcd stores objects up to 1.5 MiB (--max-request-bytes); their JSON can be
 * several times the protobuf size, so 16 MiB leaves room while still bounding a runaway line.
 */
export const DEFAULT_MAX_LINE_BYTES = 16 * 2 ** 20;

/** One line → one event, or a WatchStreamError naming what is wrong (never returns garbage). */
export function parseWatchLine(line: string): WatchEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new WatchStreamError(`watch stream: a line is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (!isRecord(parsed) || typeof parsed.type !== 'string' || !isRecord(parsed.object)) {
    throw new WatchStreamError(
      `watch stream: a line is not a watch event {type, object}: ${JSON.stringify(line.slice(0, 80))}`,
    );
  }
  if (!TYPES.has(parsed.type))
    throw new WatchStreamError(`watch stream: unknown event type ${JSON.stringify(parsed.type)}`);
  return { type: parsed.type as WatchEventType, object: parsed.object };
}

/** Splits a byte stream into watch events; keeps at most one partial line (bounded by maxLineBytes). */
export class WatchDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  /**
   * Feeds a chunk; each whole line's event goes to onEvent as it is decoded, so the good events before a
   * bad line are delivered (and their resourceVersion kept) before the WatchStreamError is thrown.
   */
  push(chunk: Uint8Array, onEvent: (e: WatchEvent) => void): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.take(chunk.subarray(start, nl));
      const line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8').trim();
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
      if (line) onEvent(parseWatchLine(line)); // blank lines (keep-alive newlines) carry nothing
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
  }

  /** The stream ended: a line left without its newline must still be a whole event. */
  end(onEvent: (e: WatchEvent) => void): void {
    const rest = Buffer.concat(this.pending, this.pendingBytes).toString('utf8').trim();
    this.pending = [];
    this.pendingBytes = 0;
    if (rest) onEvent(parseWatchLine(rest));
  }

  private take(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pendingBytes += bytes.length;
    if (this.pendingBytes > this.maxLineBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      throw new WatchStreamError(`watch stream: a line is longer than ${this.maxLineBytes} bytes`);
    }
    // Copy: undici may reuse the chunk's memory after this call returns.
    this.pending.push(Buffer.from(bytes));
  }
}
