/**
 * A fixed-bucket latency histogram small enough to keep on every roll-up row.
 *
 * Bucket 0 holds latencies below 1 ms, bucket 63 everything at or above 60 s, and buckets 1…62
 * split [1 ms, 60 s) into log-spaced ranges with ratio r = 60000^(1/62) ≈ 1.194. A quantile is
 * reported as the geometric middle of its bucket, so for any latency in [1 ms, 60 s) the answer
 * is within a relative error of √r − 1 ≈ 9.3 % of a latency that falls in the same bucket as the
 * true quantile. Below 1 ms the answer is 0.5 ms; at or above 60 s it is 60 s (a floor) — pass
 * the known min/max to `quantile` to clamp those ends.
 *
 * Fixed buckets (unlike adaptive sketches) merge by adding counts, which is exactly what the
 * minute → hour → day roll-ups need, and the result does not depend on merge order.
 */
export const SKETCH_BUCKETS = 64;
export const SKETCH_MIN_MS = 1;
export const SKETCH_MAX_MS = 60_000;
const LOG_BUCKETS = SKETCH_BUCKETS - 2;
const LOG_RATIO = Math.log(SKETCH_MAX_MS / SKETCH_MIN_MS) / LOG_BUCKETS;
/** The worst relative error of `quantile` inside [1 ms, 60 s). */
export const SKETCH_RELATIVE_ERROR = Math.exp(LOG_RATIO / 2) - 1;
const FORMAT_VERSION = 1;

export type LatencySketch = Uint32Array;

export function emptySketch(): LatencySketch {
  return new Uint32Array(SKETCH_BUCKETS);
}

export function bucketOf(latencyMs: number): number {
  if (!(latencyMs >= SKETCH_MIN_MS)) return 0; // also NaN
  if (latencyMs >= SKETCH_MAX_MS) return SKETCH_BUCKETS - 1;
  const i = 1 + Math.floor(Math.log(latencyMs / SKETCH_MIN_MS) / LOG_RATIO);
  return Math.min(Math.max(i, 1), LOG_BUCKETS);
}

/** [low, high) of a bucket in ms (bucket 0 starts at 0, the last one ends at Infinity). */
export function bucketBounds(index: number): [number, number] {
  if (index <= 0) return [0, SKETCH_MIN_MS];
  if (index >= SKETCH_BUCKETS - 1) return [SKETCH_MAX_MS, Infinity];
  return [SKETCH_MIN_MS * Math.exp((index - 1) * LOG_RATIO), SKETCH_MIN_MS * Math.exp(index * LOG_RATIO)];
}

export function addLatency(sketch: LatencySketch, latencyMs: number, count = 1): void {
  const i = bucketOf(latencyMs);
  sketch[i] = Math.min((sketch[i] ?? 0) + count, 0xffff_ffff);
}

/** Adds `from` into `into` (saturating at 2^32 − 1 per bucket) and returns `into`. */
export function mergeSketch(into: LatencySketch, from: LatencySketch): LatencySketch {
  for (let i = 0; i < SKETCH_BUCKETS; i++) into[i] = Math.min((into[i] ?? 0) + (from[i] ?? 0), 0xffff_ffff);
  return into;
}

export function sketchCount(sketch: LatencySketch): number {
  let n = 0;
  for (const c of sketch) n += c;
  return n;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) by the nearest-rank rule, or undefined for an empty sketch.
 * `bounds` (the exact min and max, kept next to the sketch) clamp the answer.
 */
export function quantile(sketch: LatencySketch, q: number, bounds?: { min?: number | null; max?: number | null }): number | undefined {
  const total = sketchCount(sketch);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(Math.min(Math.max(q, 0), 1) * total));
  let seen = 0;
  let index = SKETCH_BUCKETS - 1;
  for (let i = 0; i < SKETCH_BUCKETS; i++) {
    seen += sketch[i] ?? 0;
    if (seen >= rank) {
      index = i;
      break;
    }
  }
  const [low, high] = bucketBounds(index);
  let value = index === 0 ? SKETCH_MIN_MS / 2 : Number.isFinite(high) ? Math.sqrt(low * high) : low;
  if (bounds?.min != null) value = Math.max(value, bounds.min);
  if (bounds?.max != null) value = Math.min(value, bounds.max);
  return value;
}

/**
 * Sparse encoding: a version byte, then (bucket index byte, LEB128 count) for each non-empty
 * bucket. A minute at a 15 s interval has ≤ 4 samples, so its BLOB is ~9 bytes, not 256.
 * An empty sketch encodes to null (stored as SQL NULL).
 */
export function encodeSketch(sketch: LatencySketch): Buffer | null {
  const bytes: number[] = [FORMAT_VERSION];
  for (let i = 0; i < SKETCH_BUCKETS; i++) {
    let c = sketch[i] ?? 0;
    if (c === 0) continue;
    bytes.push(i);
    while (c >= 0x80) {
      bytes.push((c & 0x7f) | 0x80);
      c = Math.floor(c / 128);
    }
    bytes.push(c);
  }
  return bytes.length === 1 ? null : Buffer.from(bytes);
}

/** Reads `encodeSketch` output; null, undefined or a malformed/unknown BLOB give an empty sketch. */
export function decodeSketch(blob: Uint8Array | null | undefined): LatencySketch {
  const sketch = emptySketch();
  if (!blob || blob.length === 0 || blob[0] !== FORMAT_VERSION) return sketch;
  let pos = 1;
  while (pos < blob.length) {
    const index = blob[pos++] ?? SKETCH_BUCKETS;
    let count = 0;
    let scale = 1;
    let byte = 0x80;
    while (byte & 0x80) {
      if (pos >= blob.length || scale > 2 ** 28) return emptySketch();
      byte = blob[pos++] ?? 0;
      count += (byte & 0x7f) * scale;
      scale *= 128;
    }
    if (index >= SKETCH_BUCKETS) return emptySketch();
    sketch[index] = Math.min((sketch[index] ?? 0) + count, 0xffff_ffff);
  }
  return sketch;
}
