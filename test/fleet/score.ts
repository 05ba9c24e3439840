/**
 * Scores a monitor's outages against the simulator's truth log: which faults it caught and how
 * fast, which it missed, and which outages it reported that never happened. Pure: no clock, no I/O.
 *
 * Matching rule: an observed outage matches a fault of the same camera when it *begins* within the
 * fault, widened by `toleranceMs` on both sides (a probe that started a moment before the fault
 * began still met it; clocks and probe start times are not exact). An outage that began before a
 * fault, or that belongs to no fault, is a false alarm. A fault no outage began in is still
 * detected ("merged") when an outage matched to an earlier fault of the camera was still open
 * when it began: the monitor never saw the camera recover in between.
 */
import { FAULT_KINDS } from './types.js';
import type { FaultInterval, FaultKind } from './types.js';

export interface ObservedOutage {
  camera: string;
  /** When the monitor dates the outage's beginning (ms since the epoch; its first failed probe). */
  start: number;
  /** When the monitor declared it (the state change); default `start`. Detection delay counts to this. */
  detectedAt?: number;
  /** When the monitor saw it end; absent while it is still open. */
  end?: number;
  code?: string;
}

export interface ScoreOptions {
  toleranceMs: number;
  /**
   * Faults shorter than this (their part before `until`) that nobody saw are `undetectable`, not
   * `missed`: a monitor probing every 15 s and needing 2 failures cannot see a 5 s fault. Default 0.
   */
  minDetectableMs?: number;
  /** End of the observation: faults starting later are ignored, longer ones are cut here. Default: no cut. */
  until?: number;
}

export interface DelayStats {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface KindScore {
  faults: number;
  detected: number;
  missed: number;
  undetectable: number;
}

export interface VerdictScore {
  faults: number;
  /** Faults an outage began in. */
  detected: number;
  /** Faults covered by an outage that began in an earlier fault and had not ended. */
  merged: number;
  missed: number;
  undetectable: number;
  observed: number;
  falseAlarms: number;
  /** detectedAt − fault start, over detected (not merged) faults. */
  detectionDelayMs: DelayStats | undefined;
  /** Outage end − fault end, over detected faults whose outage has ended (negative: declared over early). */
  recoveryDelayMs: DelayStats | undefined;
  byKind: Record<FaultKind, KindScore>;
  missedFaults: FaultInterval[];
  falseAlarmOutages: ObservedOutage[];
}

export function scoreVerdicts(truth: readonly FaultInterval[], observed: readonly ObservedOutage[], options: ScoreOptions): VerdictScore {
  const tol = options.toleranceMs;
  const until = options.until ?? Number.POSITIVE_INFINITY;
  const minDetectable = options.minDetectableMs ?? 0;
  const faults = groupByCamera(truth.filter((f) => f.start < until));
  const outages = groupByCamera(observed);
  const byKind = Object.fromEntries(FAULT_KINDS.map((k) => [k, { faults: 0, detected: 0, missed: 0, undetectable: 0 }])) as Record<FaultKind, KindScore>;
  const score: VerdictScore = {
    faults: 0,
    detected: 0,
    merged: 0,
    missed: 0,
    undetectable: 0,
    observed: observed.length,
    falseAlarms: 0,
    detectionDelayMs: undefined,
    recoveryDelayMs: undefined,
    byKind,
    missedFaults: [],
    falseAlarmOutages: [],
  };
  const detectionDelays: number[] = [];
  const recoveryDelays: number[] = [];

  for (const [camera, list] of outages) {
    const camFaults = faults.get(camera) ?? [];
    for (const outage of list) {
      if (!camFaults.some((f) => outage.start >= f.start - tol && outage.start <= f.end + tol)) {
        score.falseAlarms++;
        score.falseAlarmOutages.push(outage);
      }
    }
  }

  for (const [camera, list] of faults) {
    const camOutages = outages.get(camera) ?? [];
    for (const fault of list) {
      const kind = byKind[fault.kind];
      score.faults++;
      kind.faults++;
      const match = camOutages.find((o) => o.start >= fault.start - tol && o.start <= fault.end + tol);
      if (match) {
        score.detected++;
        kind.detected++;
        detectionDelays.push(Math.max(0, (match.detectedAt ?? match.start) - fault.start));
        if (match.end !== undefined && fault.end <= until) recoveryDelays.push(match.end - fault.end);
        continue;
      }
      const open = camOutages.some((o) => o.start < fault.start - tol && (o.end === undefined || o.end >= fault.start));
      if (open) {
        score.merged++;
        kind.detected++;
        continue;
      }
      if (Math.min(fault.end, until) - fault.start < minDetectable) {
        score.undetectable++;
        kind.undetectable++;
      } else {
        score.missed++;
        kind.missed++;
        score.missedFaults.push(fault);
      }
    }
  }
  score.detectionDelayMs = delayStats(detectionDelays);
  score.recoveryDelayMs = delayStats(recoveryDelays);
  return score;
}

/** Count, mean and nearest-rank percentiles; undefined for no samples. */
export function delayStats(samples: readonly number[]): DelayStats | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return { count: sorted.length, mean: Math.round(mean), p50: rank(50), p95: rank(95), p99: rank(99), max: sorted[sorted.length - 1] as number };
}

/** A health-tracker Outage (ISO times) as an ObservedOutage; `detectedAt` comes from elsewhere (the state change). */
export function observedFromOutage(outage: { streamId: string; start: string; end?: string; code?: string }, detectedAt?: number): ObservedOutage {
  return {
    camera: outage.streamId,
    start: Date.parse(outage.start),
    ...(outage.end !== undefined ? { end: Date.parse(outage.end) } : {}),
    ...(detectedAt !== undefined ? { detectedAt } : {}),
    ...(outage.code !== undefined ? { code: outage.code } : {}),
  };
}

function groupByCamera<T extends { camera: string; start: number }>(items: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(item.camera);
    if (list) list.push(item);
    else map.set(item.camera, [item]);
  }
  for (const list of map.values()) list.sort((a, b) => a.start - b.start);
  return map;
}
