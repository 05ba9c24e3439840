/**
 * Faults on a schedule: a deterministic (seeded) generator of per-camera fault intervals, and the
 * book the simulated cameras consult on every request, which is also the truth log a benchmark
 * scores the monitor against: what the cameras did is exactly what the book says.
 */
import { FAULT_KINDS } from './types.js';
import type { FaultInterval, FaultKind, FaultPlanSpec, TruthLog } from './types.js';

export interface FaultPlanOptions extends FaultPlanSpec {
  cameras: readonly string[];
}

const HOUR_MS = 3_600_000;

/**
 * Draws each camera's outages independently: starts form a Poisson process of the given rate
 * (exponential gaps), lengths are uniform in [minOutageMs, maxOutageMs], and a camera rests
 * `minGapMs` after each outage. Each camera's generator is seeded from (seed, camera id), so
 * adding cameras to a plan leaves the others' intervals unchanged.
 */
export function faultPlan(o: FaultPlanOptions): FaultInterval[] {
  const startMs = o.startMs ?? Date.now();
  const endMs = startMs + o.durationMs;
  const kinds = o.kinds ?? FAULT_KINDS;
  const minOutage = o.minOutageMs ?? 30_000;
  const maxOutage = Math.max(minOutage, o.maxOutageMs ?? 180_000);
  const minGap = o.minGapMs ?? 60_000;
  if (kinds.length === 0) throw new RangeError('faultPlan: kinds is empty');
  if (!(o.durationMs >= 0) || !(o.outagesPerCameraHour >= 0)) throw new RangeError('faultPlan: durationMs and outagesPerCameraHour must be >= 0');
  const out: FaultInterval[] = [];
  if (o.outagesPerCameraHour === 0) return out;
  const meanGapMs = HOUR_MS / o.outagesPerCameraHour;
  for (const camera of o.cameras) {
    const random = xorshift32(fnv1a(`${o.seed}/${camera}`));
    let t = startMs;
    for (;;) {
      // Inverse transform of the exponential distribution; 1 - u is never 0.
      const start = Math.round(t - meanGapMs * Math.log(1 - random()));
      if (start >= endMs) break;
      const length = Math.round(minOutage + random() * (maxOutage - minOutage));
      const end = Math.min(start + Math.max(1, length), endMs);
      const kind = kinds[Math.floor(random() * kinds.length)] as FaultKind;
      if (end > start) out.push({ camera, kind, start, end });
      t = end + minGap;
    }
  }
  return out.sort((a, b) => a.start - b.start || a.camera.localeCompare(b.camera));
}

/**
 * xorshift32 (G. Marsaglia, "Xorshift RNGs", Journal of Statistical Software 8(14), 2003,
 * https://doi.org/10.18637/jss.v008.i14), shifts 13/17/5: plenty for drawing a fault plan, and
 * the same numbers on every platform. Returns floats in [0, 1).
 */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9; // the all-zero state is a fixed point
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** 32-bit FNV-1a over UTF-16 code units (http://www.isthe.com/chongo/tech/comp/fnv/). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Every camera's fault intervals, sorted, non-overlapping per camera. The servers ask it on each
 * request (`faultAt`), so a fault begins and ends exactly at its interval's bounds.
 */
export class FaultBook {
  private readonly byCamera = new Map<string, FaultInterval[]>();
  private count = 0;

  constructor(
    readonly startedAt: number,
    intervals: Iterable<FaultInterval> = [],
  ) {
    for (const interval of intervals) this.add(interval);
  }

  /** Adds a fault (e.g. injected by a test while the fleet runs); refuses overlaps on one camera. */
  add(interval: FaultInterval): void {
    const { camera, kind, start, end } = interval;
    if (!FAULT_KINDS.includes(kind)) throw new RangeError(`unknown fault kind ${JSON.stringify(kind)}`);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
      throw new RangeError(`fault ${kind} of ${camera}: needs finite start < end, got ${start}..${end}`);
    }
    const list = this.byCamera.get(camera) ?? [];
    const at = upperBound(list, start);
    const before = list[at - 1];
    const after = list[at];
    if ((before && before.end > start) || (after && after.start < end)) {
      throw new RangeError(`fault ${kind} of ${camera} (${start}..${end}) overlaps another fault of that camera`);
    }
    list.splice(at, 0, { camera, kind, start, end });
    this.byCamera.set(camera, list);
    this.count++;
  }

  /** The fault active for `camera` at time `at`, if any. */
  faultAt(camera: string, at: number): FaultInterval | undefined {
    const list = this.byCamera.get(camera);
    if (!list) return undefined;
    const candidate = list[upperBound(list, at) - 1];
    return candidate && at < candidate.end ? candidate : undefined;
  }

  of(camera: string): readonly FaultInterval[] {
    return this.byCamera.get(camera) ?? [];
  }

  get size(): number {
    return this.count;
  }

  /** All intervals, by start time. */
  intervals(): FaultInterval[] {
    return [...this.byCamera.values()].flat().sort((a, b) => a.start - b.start || a.camera.localeCompare(b.camera));
  }

  toJSON(): TruthLog {
    return { startedAt: this.startedAt, intervals: this.intervals() };
  }
}

/** Index of the first interval that starts after `t` (intervals sorted by start). */
function upperBound(list: readonly FaultInterval[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as FaultInterval).start <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
