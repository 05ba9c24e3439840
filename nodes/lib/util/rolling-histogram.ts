/**
 * Durations over a rolling window, for percentiles that mean "lately": log-spaced buckets (±1 %
 * relative error, O(1) per sample, a fixed 3 KiB per slot whatever the rate) in a ring of time
 * slots. A percentile over the window merges the live slots, so it covers every sample of the
 * last `windowMs` (to within one slot), not the last N samples: at 10,000 cameras every 15 s a
 * ring of 1,024 samples would span 1.5 s, at 10 cameras 25 minutes.
 */

/** Bucket 0 holds [0, 1) ms; bucket i ≥ 1 holds [GROWTH^(i-1), GROWTH^i) ms. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Values up to an hour get their own bucket; anything longer lands in the last one. */
const MAX_TRACKED_MS = 3_600_000;
const BUCKETS = 2 + Math.ceil(Math.log(MAX_TRACKED_MS) / LOG_GROWTH);

function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0; // also NaN and negatives (a clock step backwards): "no lag"
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms) / LOG_GROWTH));
}

/** The geometric middle of a bucket: within 1 % of every value in it. */
function representative(bucket: number): number {
  if (bucket === 0) return 0.5;
  return GROWTH ** (bucket - 0.5);
}

/** Counts per log bucket, plus the exact count, sum and maximum. Mergeable. */
export class LogBuckets {
  readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  add(ms: number): void {
    const value = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const bucket = bucketOf(value);
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  merge(other: LogBuckets): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  clear(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  /** Nearest-rank percentile (0 < p ≤ 100), within 1 % (never above the maximum); undefined when empty. */
  percentile(p: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p / 100) * this.count)));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      // The last bucket is open-ended: its best answer is the exact maximum.
      if (seen >= rank) return i === BUCKETS - 1 ? this.max : Math.min(representative(i), this.max);
    }
    return this.max;
  }
}

export interface RollingHistogramOptions {
  /** Length of the window (default 60 s). */
  windowMs?: number;
  /** Slots the window is cut into (default 12: the window moves in 5 s steps). */
  slots?: number;
  now?: () => number;
}

export class RollingHistogram {
  private readonly slotMs: number;
  private readonly ring: { key: number; buckets: LogBuckets }[];
  private readonly now: () => number;
  /** Since creation, for a Prometheus summary's `_count` and `_sum` (which must never go down). */
  private totalCount = 0;
  private totalSum = 0;

  constructor(options: RollingHistogramOptions = {}) {
    const slots = Math.max(1, Math.floor(options.slots ?? 12));
    this.slotMs = Math.max(1, (options.windowMs ?? 60_000) / slots);
    this.ring = Array.from({ length: slots }, () => ({ key: -Infinity, buckets: new LogBuckets() }));
    this.now = options.now ?? Date.now;
  }

  add(ms: number): void {
    const key = Math.floor(this.now() / this.slotMs);
    const slot = this.ring[((key % this.ring.length) + this.ring.length) % this.ring.length];
    if (!slot) return;
    if (slot.key !== key) {
      slot.key = key;
      slot.buckets.clear();
    }
    slot.buckets.add(ms);
    this.totalCount++;
    this.totalSum += Number.isFinite(ms) && ms > 0 ? ms : 0;
  }

  /** Every sample of the window (the current slot and the slots before it), merged into `into`. */
  window(into = new LogBuckets()): LogBuckets {
    const newest = Math.floor(this.now() / this.slotMs);
    for (const slot of this.ring) {
      if (slot.key <= newest && slot.key > newest - this.ring.length) into.merge(slot.buckets);
    }
    return into;
  }

  get total(): { count: number; sum: number } {
    return { count: this.totalCount, sum: this.totalSum };
  }
}
