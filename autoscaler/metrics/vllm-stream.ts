/**
 * The collector's fast path: a vLLM /metrics page → PodSnapshot straight from the response chunks, as they
 * arrive. Same result as `vllmSnapshot(text)` (./vllm-signals.ts), which stays the reference and is what
 * test/autoscaler/metrics-stream.test.ts compares this against, and the same errors (ExpositionError,
 * MissingMetricError). What it saves, per page, is what a 4,000-pod tick could not afford (bench
 * autoscaler-loop): the page decoded to a string, a Sample object with a label map per line, and a grouping
 * Map. Lines of families the signals do not read are checked for a valid name and skipped; wanted lines are
 * read from bytes (./prom-bytes.ts) into running sums; histogram bounds are shared between snapshots.
 */
import { checkName, nameEnd, readLabels, readValue, type Line } from './prom-bytes.js';
import { assembleSnapshot, VLLM, type Histogram, type PodSnapshot } from './vllm-signals.js';

const enum Kind {
  Scalar,
  Bucket,
  HistSum,
  HistCount,
  CacheConfig,
}
const enum S {
  Waiting,
  Running,
  Kv,
  KvV0,
  Prompt,
  Generation,
  Success,
  PrefixQueries,
  PrefixHits,
}
const enum H {
  Ttft,
  Itl,
  ItlV0,
  PromptLength,
}

interface Family {
  name: string;
  bytes: Buffer;
  kind: Kind;
  slot: number;
}

const FAMILIES: Family[] = [];
const add = (name: string, kind: Kind, slot: number): void =>
  void FAMILIES.push({ name, bytes: Buffer.from(name, 'latin1'), kind, slot });
add(VLLM.waiting, Kind.Scalar, S.Waiting);
add(VLLM.running, Kind.Scalar, S.Running);
add(VLLM.kvUsage, Kind.Scalar, S.Kv);
add(VLLM.kvUsageV0, Kind.Scalar, S.KvV0);
add(VLLM.promptTokens, Kind.Scalar, S.Prompt);
add(VLLM.generationTokens, Kind.Scalar, S.Generation);
add(VLLM.success, Kind.Scalar, S.Success);
add(VLLM.prefixCacheQueries, Kind.Scalar, S.PrefixQueries);
add(VLLM.prefixCacheHits, Kind.Scalar, S.PrefixHits);
add(VLLM.cacheConfig, Kind.CacheConfig, 0);
for (const [name, slot] of [
  [VLLM.ttft, H.Ttft],
  [VLLM.itl, H.Itl],
  [VLLM.itlV0, H.ItlV0],
  [VLLM.promptLength, H.PromptLength],
] as const) {
  // Only the mean prompt length is read (sum/count): its buckets are skipped, as vllm-signals.ts WANTED does.
  if (slot !== H.PromptLength) add(`${name}_bucket`, Kind.Bucket, slot);
  add(`${name}_sum`, Kind.HistSum, slot);
  add(`${name}_count`, Kind.HistCount, slot);
}
/** Wanted families by name length: a line's name is compared only against names as long as it. */
const BY_LENGTH: Family[][] = [];
for (const f of FAMILIES) (BY_LENGTH[f.name.length] ??= []).push(f);

function family(l: Line, i: number): Family | undefined {
  const list = BY_LENGTH[i - l.start];
  if (!list) return undefined;
  for (const f of list) {
    // From the end: wanted names share the `vllm:` prefix and differ in their suffix.
    let k = f.bytes.length - 1;
    while (k >= 0 && l.buf[l.start + k] === f.bytes[k]) k--;
    if (k < 0) return f;
  }
  return undefined;
}

const NONE: readonly string[] = [];
const LE = ['le'] as const;
const CACHE_CONFIG = ['block_size', 'num_gpu_blocks'] as const;

class HistAcc {
  les: number[] = [];
  vals: number[] = [];
  buckets = 0;
  sum = 0;
  sums = 0;
  count = 0;
  counts = 0;
  private cursor = 0;

  addBucket(le: number, v: number): void {
    // One series' buckets come in order: try the slot after the last one first.
    const n = this.les.length;
    for (let k = 0; k < n; k++) {
      const at = (this.cursor + k) % n;
      if (this.les[at] === le) {
        this.vals[at] = (this.vals[at] as number) + v;
        this.cursor = at + 1;
        return;
      }
    }
    this.les.push(le);
    this.vals.push(0 + v); // the reference starts each bound's sum at 0
    this.cursor = 0;
  }

  /** vllm-signals.ts histogram(): buckets by bound (sorted), else sum/count as one +Inf bucket, else none. */
  histogram(): Histogram | undefined {
    if (this.buckets === 0)
      return this.counts > 0
        ? { bounds: [Infinity], counts: [this.count], sum: this.sum, count: this.count }
        : undefined;
    const order = this.les.map((_, k) => k).sort((a, b) => (this.les[a] as number) - (this.les[b] as number));
    return {
      bounds: intern(order.map((k) => this.les[k] as number)),
      counts: order.map((k) => this.vals[k] as number),
      sum: this.sum,
      count: this.count,
    };
  }
}

/** Bucket bounds repeat on every pod and every tick: keep one array per distinct layout (never mutated). */
const BOUNDS: number[][] = [];
function intern(b: number[]): number[] {
  for (const x of BOUNDS) if (x.length === b.length && x.every((v, k) => v === b[k])) return x;
  if (BOUNDS.length < 64) BOUNDS.push(b);
  return b;
}

export class VllmPageParser {
  private readonly line: Line = { buf: Buffer.alloc(0), start: 0, end: 0, lineNo: 0 };
  private carry: Buffer[] = [];
  private readonly sums = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  private readonly ns = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  private readonly hist = [new HistAcc(), new HistAcc(), new HistAcc(), new HistAcc()];
  private le: string | undefined;
  /** cache_config_info: the first sample's labels are the engine's KV geometry (as in vllm-signals.ts). */
  private cc?: Record<string, string>;
  private ccLine = false;
  private readonly onLabel = (k: string, v: string): void => {
    if (k === 'le') this.le = v;
    else if (this.ccLine) (this.cc as Record<string, string>)[k] = v;
  };

  /** Feed the next chunk of the body (any split, even inside a line). Throws ExpositionError on garbage. */
  push(chunk: Buffer): void {
    let pos = 0;
    if (this.carry.length > 0) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.carry.push(Buffer.from(chunk)); // chunks may be views into the HTTP parser's memory: copy
        return;
      }
      const joined = Buffer.concat([...this.carry, chunk.subarray(0, nl)]);
      this.carry = [];
      this.readLine(joined, 0, joined.length);
      pos = nl + 1;
    }
    for (let nl = chunk.indexOf(10, pos); nl >= 0; nl = chunk.indexOf(10, pos)) {
      this.readLine(chunk, pos, nl);
      pos = nl + 1;
    }
    if (pos < chunk.length) this.carry.push(Buffer.from(chunk.subarray(pos)));
  }

  /** The page is complete: its snapshot, or MissingMetricError when it is not a vLLM page. */
  end(): PodSnapshot {
    if (this.carry.length > 0) {
      const last = Buffer.concat(this.carry);
      this.carry = [];
      this.readLine(last, 0, last.length);
    }
    return this.snapshot();
  }

  private readLine(buf: Buffer, start: number, eol: number): void {
    const l = this.line;
    l.lineNo++;
    const end = eol > start && buf[eol - 1] === 13 ? eol - 1 : eol;
    if (end <= start || buf[start] === 35 /* # */) return;
    l.buf = buf;
    l.start = start;
    l.end = end;
    const i = nameEnd(l);
    checkName(l, i);
    const f = family(l, i);
    if (f) this.sample(f, i);
  }

  private sample(f: Family, i: number): void {
    const l = this.line;
    const keep = f.kind === Kind.Bucket ? LE : f.kind === Kind.CacheConfig ? CACHE_CONFIG : NONE;
    this.le = undefined;
    this.ccLine = f.kind === Kind.CacheConfig && this.cc === undefined;
    if (this.ccLine) this.cc = {};
    if (l.buf[i] === 123 /* { */) i = readLabels(l, i + 1, keep, this.onLabel);
    const v = readValue(l, i, f.name);
    switch (f.kind) {
      case Kind.Scalar:
        this.sums[f.slot] = (this.sums[f.slot] as number) + (Number.isFinite(v) ? v : 0);
        this.ns[f.slot] = (this.ns[f.slot] as number) + 1;
        break;
      case Kind.Bucket: {
        const h = this.hist[f.slot] as HistAcc;
        h.buckets++;
        const le = this.le === '+Inf' ? Infinity : Number(this.le);
        if (!Number.isNaN(le)) h.addBucket(le + 0, v); // + 0: -0 and 0 are one bound (a Map key in the reference)
        break;
      }
      case Kind.HistSum: {
        const h = this.hist[f.slot] as HistAcc;
        h.sum += v;
        h.sums++;
        break;
      }
      case Kind.HistCount: {
        const h = this.hist[f.slot] as HistAcc;
        h.count += v;
        h.counts++;
        break;
      }
    }
  }

  private snapshot(): PodSnapshot {
    const sum = (s: S): number | undefined => ((this.ns[s] as number) > 0 ? (this.sums[s] as number) : undefined);
    const mean = (s: S): number | undefined =>
      (this.ns[s] as number) > 0 ? (this.sums[s] as number) / (this.ns[s] as number) : undefined;
    const [ttft, itl, itlV0, prompt] = this.hist.map((h) => h.histogram());
    return assembleSnapshot({
      waiting: sum(S.Waiting),
      running: sum(S.Running),
      kv: mean(S.Kv) ?? mean(S.KvV0),
      promptTokens: sum(S.Prompt),
      generationTokens: sum(S.Generation),
      requestsFinished: sum(S.Success),
      prefixCacheQueries: sum(S.PrefixQueries),
      prefixCacheHits: sum(S.PrefixHits),
      ttft,
      itl: itl ?? itlV0,
      promptLength: prompt,
      blockSize: this.cc?.block_size,
      numGpuBlocks: this.cc?.num_gpu_blocks,
    });
  }
}

/** One-shot form: a whole page in one buffer (tests, and callers that already hold the body). */
export function vllmSnapshotFromBytes(chunks: Buffer | Buffer[]): PodSnapshot {
  const p = new VllmPageParser();
  for (const c of Array.isArray(chunks) ? chunks : [chunks]) p.push(c);
  return p.end();
}
