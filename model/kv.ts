/**
 * KV-cache blocks of one engine with vLLM's automatic prefix caching, at the granularity of the trace's
 * prefix hashes (Mooncake hash_ids: 512-token blocks, each standing for itself and every block before it).
 *
 * Accounting follows vLLM V1's block pool: blocks referenced by running requests are "used"; cached
 * blocks nobody references stay in the free queue (evictable, LRU) and are NOT counted in
 * vllm:kv_cache_usage_perc. A full hash block becomes a cache entry once its prefill completes.
 */
export const HASH_BLOCK_TOKENS = 512;

interface Entry {
  ref: number;
}

export interface KvHold {
  /** Hash ids this request references (shared, counted once). */
  pinned: number[];
  /** Blocks owned by this request alone. */
  privateBlocks: number;
}

export class KvCache {
  readonly totalBlocks: number;
  readonly blockSize: number;
  private readonly perHash: number;
  private readonly entries = new Map<number, Entry>();
  /** Unreferenced entries, least recently used first (Map keeps insertion order). */
  private readonly evictable = new Map<number, true>();
  private used = 0;
  queries = 0;
  hits = 0;

  constructor(capacityTokens: number, blockSize: number) {
    this.blockSize = blockSize;
    this.totalBlocks = Math.floor(capacityTokens / blockSize);
    this.perHash = HASH_BLOCK_TOKENS / blockSize;
  }

  /** Fraction of blocks held by running requests (vllm:kv_cache_usage_perc). */
  usage(): number {
    return this.used / this.totalBlocks;
  }

  usedBlocks(): number {
    return this.used;
  }

  /** Blocks a new allocation can get (free plus evictable cache). */
  available(): number {
    return this.totalBlocks - this.used;
  }

  /** Leading hash ids (full blocks only) present in this cache. */
  matchPrefix(hashIds: readonly number[], promptTokens: number): number {
    const full = Math.min(hashIds.length, Math.floor(promptTokens / HASH_BLOCK_TOKENS));
    let n = 0;
    while (n < full && this.entries.has(hashIds[n] as number)) n++;
    return n;
  }

  /**
   * Admit a request needing `contextTokens` of KV: pin its cached prefix and allocate the rest, evicting
   * LRU cache entries as needed. Returns the hold and the cached tokens, or undefined (nothing changed)
   * when the blocks are not there.
   */
  admit(
    hashIds: readonly number[],
    promptTokens: number,
    contextTokens: number,
  ): { hold: KvHold; cachedTokens: number } | undefined {
    const matched = this.matchPrefix(hashIds, promptTokens);
    const pinned = hashIds.slice(0, matched);
    const privateBlocks = Math.max(0, Math.ceil(contextTokens / this.blockSize) - matched * this.perHash);
    let newlyUsed = privateBlocks;
    for (const h of pinned) if ((this.entries.get(h) as Entry).ref === 0) newlyUsed += this.perHash;
    if (newlyUsed > this.available()) return undefined;
    for (const h of pinned) this.pin(h);
    this.used += privateBlocks;
    this.evictFor();
    this.queries += promptTokens;
    this.hits += matched * HASH_BLOCK_TOKENS;
    return { hold: { pinned, privateBlocks }, cachedTokens: matched * HASH_BLOCK_TOKENS };
  }

  /** Grow a request's private blocks to cover `contextTokens`; false if the pool is exhausted. */
  grow(hold: KvHold, contextTokens: number): boolean {
    const want = Math.max(0, Math.ceil(contextTokens / this.blockSize) - hold.pinned.length * this.perHash);
    const extra = want - hold.privateBlocks;
    if (extra <= 0) return true;
    if (extra > this.available()) return false;
    hold.privateBlocks = want;
    this.used += extra;
    this.evictFor();
    return true;
  }

  /** After prefill: turn the request's full hash blocks into shared cache entries it keeps referencing. */
  register(hold: KvHold, hashIds: readonly number[], promptTokens: number): void {
    const full = Math.min(hashIds.length, Math.floor(promptTokens / HASH_BLOCK_TOKENS));
    for (let i = hold.pinned.length; i < full; i++) {
      const h = hashIds[i] as number;
      if (hold.privateBlocks < this.perHash) break;
      const e = this.entries.get(h);
      // Another request registered the same block meanwhile: share it and free our copy.
      if (e) {
        if (e.ref === 0) this.pin(h);
        else e.ref++;
        hold.privateBlocks -= this.perHash;
        this.used -= this.perHash;
      } else {
        this.entries.set(h, { ref: 1 });
        hold.privateBlocks -= this.perHash;
      }
      hold.pinned.push(h);
    }
  }

  /** Request finished or preempted: private blocks are freed, its cache entries become evictable. */
  release(hold: KvHold): void {
    this.used -= hold.privateBlocks;
    hold.privateBlocks = 0;
    for (const h of hold.pinned) {
      const e = this.entries.get(h);
      if (!e) continue;
      e.ref--;
      if (e.ref === 0) {
        this.used -= this.perHash;
        this.evictable.set(h, true);
      }
    }
    hold.pinned = [];
  }

  /** Put a prompt's full blocks in the cache as if an earlier request had computed them (unreferenced). */
  warm(hashIds: readonly number[], promptTokens: number): void {
    const full = Math.min(hashIds.length, Math.floor(promptTokens / HASH_BLOCK_TOKENS));
    for (let i = 0; i < full; i++) {
      const h = hashIds[i] as number;
      const e = this.entries.get(h);
      if (e && e.ref > 0) continue;
      this.evictable.delete(h);
      this.evictable.set(h, true);
      if (!e) this.entries.set(h, { ref: 0 });
    }
    this.evictFor();
  }

  /**
   * Take over the cached blocks of another cache that no request references (a pre-filled cache copied into a new
   * engine): its entries, unreferenced, in its LRU order.
   */
  copyFrom(other: KvCache): void {
    if (other.used !== 0 || this.used !== 0) throw new Error('copyFrom: caches with referenced blocks');
    this.entries.clear();
    this.evictable.clear();
    for (const h of other.evictable.keys()) {
      this.entries.set(h, { ref: 0 });
      this.evictable.set(h, true);
    }
  }

  cachedEntries(): number {
    return this.entries.size;
  }

  private pin(h: number): void {
    const e = this.entries.get(h) as Entry;
    if (e.ref === 0) {
      this.evictable.delete(h);
      this.used += this.perHash;
    }
    e.ref++;
  }

  /** Evict least recently used entries until used + cached fits in the pool. */
  private evictFor(): void {
    let cachedFree = this.evictable.size * this.perHash;
    for (const h of this.evictable.keys()) {
      if (this.used + cachedFree <= this.totalBlocks) break;
      this.evictable.delete(h);
      this.entries.delete(h);
      cachedFree -= this.perHash;
    }
  }
}
