/** A count of bytes several requests share, never over its limit (the webhook's buffered request bodies). */
export class ByteBudget {
  private inUse = 0;

  constructor(readonly limit: number) {}

  /** Reserve `bytes` if they fit; false (and nothing reserved) if not. */
  take(bytes: number): boolean {
    if (this.inUse + bytes > this.limit) return false;
    this.inUse += bytes;
    return true;
  }

  give(bytes: number): void {
    this.inUse = Math.max(0, this.inUse - bytes);
  }

  get used(): number {
    return this.inUse;
  }
}
