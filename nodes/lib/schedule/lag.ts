/**
 * The most recent `size` schedule lags (start minus scheduled time) in a ring: O(1) memory and
 * O(1) per sample whatever the fleet size; percentiles are computed only when asked.
 */
export class LagRing {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;

  constructor(size = 1024) {
    this.samples = new Float64Array(Math.max(1, size));
  }

  add(lagMs: number): void {
    this.samples[this.next] = Math.max(0, lagMs);
    this.next = (this.next + 1) % this.samples.length;
    if (this.count < this.samples.length) this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** Nearest-rank percentile (0 < p ≤ 100) of the samples held, or undefined when none. */
  percentile(p: number): number | undefined {
    if (this.count === 0) return undefined;
    const sorted = this.samples.slice(0, this.count).sort();
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p / 100) * this.count)));
    return sorted[rank - 1];
  }
}
