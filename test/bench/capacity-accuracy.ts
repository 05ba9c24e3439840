/**
 * Verdict accuracy of a capacity run: the store's outages (GET /api/outages) and the degraded
 * episodes seen on MQTT, scored against the fleet's truth log with ../fleet/score.ts.
 *
 * - `down`, `slow`, `auth` make a camera offline: scored against the store's outages, each dated
 *   by its first failed probe and detected when its offline state reached the MQTT subscriber.
 * - `frozen` and `noframes` leave video flowing in some form: health says `degraded`, which is no
 *   outage; scored against the degraded episodes on MQTT.
 * - Only faults that begin inside the measured window count; outages that belong to a fault
 *   begun before it (during warm-up) are neither detections nor false alarms.
 */
import { delayStats, scoreVerdicts } from '../fleet/score.js';
import type { DelayStats, ObservedOutage, VerdictScore } from '../fleet/score.js';
import type { FaultInterval, FaultKind } from '../fleet/types.js';
import type { HealthEpisode } from './capacity-mqtt.js';

export const OUTAGE_KINDS: readonly FaultKind[] = ['down', 'slow', 'auth'];
export const PICTURE_KINDS: readonly FaultKind[] = ['frozen', 'noframes'];

export interface ApiOutage {
  stream: string;
  startMs: number;
  endMs: number | null;
  code: string;
}

export interface AccuracyOptions {
  /** The measured window [from, until). */
  from: number;
  until: number;
  toleranceMs: number;
  minDetectableMs: number;
  /** interval + timeout + 1 s: the detection goal. */
  goalMs: number;
}

export interface KindDelays {
  detected: number;
  /** First failed (or partial) probe minus fault start. */
  firstEvidenceMs?: DelayStats;
  /** State announced on MQTT minus fault start. */
  declaredMs?: DelayStats;
  overGoal: number;
}

export interface AccuracyReport {
  window: { from: string; until: string };
  goalMs: number;
  outages: Omit<VerdictScore, 'missedFaults' | 'falseAlarmOutages'>;
  picture: Omit<VerdictScore, 'missedFaults' | 'falseAlarmOutages'>;
  falseAlarms: number;
  delaysByKind: Partial<Record<FaultKind, KindDelays>>;
  /** Store outages that never showed as offline on MQTT (their detection time falls back to their start). */
  outagesNotSeenOnMqtt: number;
  examples: { missed: FaultInterval[]; falseAlarms: ObservedOutage[] };
}

export async function fetchOutages(base: string, fromMs: number, toMs: number): Promise<{ outages: ApiOutage[]; truncated: boolean }> {
  const url = `${base}/api/outages?from=${fromMs}&to=${toMs}&limit=10000`;
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  const body = (await res.json()) as { truncated?: boolean; outages?: { stream: string; startMs: number; endMs: number | null; code: string }[] };
  return { outages: (body.outages ?? []).map(({ stream, startMs, endMs, code }) => ({ stream, startMs, endMs, code })), truncated: body.truncated === true };
}

export function scoreAccuracy(truth: readonly FaultInterval[], outages: readonly ApiOutage[], episodes: readonly HealthEpisode[], o: AccuracyOptions): AccuracyReport {
  const tol = o.toleranceMs;
  const before = truth.filter((f) => f.start < o.from);
  const scored = truth.filter((f) => f.start >= o.from && f.start < o.until);
  const belongsToEarlier = (camera: string, start: number): boolean =>
    before.some((f) => f.camera === camera && start >= f.start - tol && start <= f.end + tol);
  const inWindow = (camera: string, start: number): boolean => start >= o.from - tol && start < o.until && !belongsToEarlier(camera, start);

  const offline = new Map<string, HealthEpisode>();
  for (const e of episodes) if (e.state === 'offline') offline.set(`${e.camera}@${e.start}`, e);
  let notSeen = 0;
  const observedOutages: ObservedOutage[] = outages
    .filter((x) => inWindow(x.stream, x.startMs))
    .map((x) => {
      const seen = offline.get(`${x.stream}@${x.startMs}`);
      if (!seen) notSeen++;
      return {
        camera: x.stream, start: x.startMs, code: x.code,
        ...(seen ? { detectedAt: seen.detectedAt } : {}),
        ...(x.endMs !== null ? { end: x.endMs } : {}),
      };
    });
  const observedDegraded: ObservedOutage[] = episodes
    .filter((e) => e.state === 'degraded' && inWindow(e.camera, e.start))
    .map((e) => ({ camera: e.camera, start: e.start, detectedAt: e.detectedAt, ...(e.end !== undefined ? { end: e.end } : {}) }));

  const options = { toleranceMs: tol, minDetectableMs: o.minDetectableMs, until: o.until };
  const outageScore = scoreVerdicts(scored.filter((f) => OUTAGE_KINDS.includes(f.kind)), observedOutages, options);
  const pictureScore = scoreVerdicts(scored.filter((f) => PICTURE_KINDS.includes(f.kind)), observedDegraded, options);

  const delaysByKind: Partial<Record<FaultKind, KindDelays>> = {};
  for (const kind of [...OUTAGE_KINDS, ...PICTURE_KINDS]) {
    const observed = OUTAGE_KINDS.includes(kind) ? observedOutages : observedDegraded;
    const first: number[] = [];
    const declared: number[] = [];
    for (const f of scored.filter((x) => x.kind === kind)) {
      const match = observed.find((x) => x.camera === f.camera && x.start >= f.start - tol && x.start <= f.end + tol);
      if (!match) continue;
      first.push(Math.max(0, match.start - f.start));
      declared.push(Math.max(0, (match.detectedAt ?? match.start) - f.start));
    }
    const firstStats = delayStats(first);
    const declaredStats = delayStats(declared);
    delaysByKind[kind] = {
      detected: declared.length,
      ...(firstStats ? { firstEvidenceMs: firstStats } : {}),
      ...(declaredStats ? { declaredMs: declaredStats } : {}),
      overGoal: declared.filter((d) => d > o.goalMs).length,
    };
  }

  const strip = ({ missedFaults: _m, falseAlarmOutages: _f, ...rest }: VerdictScore): Omit<VerdictScore, 'missedFaults' | 'falseAlarmOutages'> => rest;
  return {
    window: { from: new Date(o.from).toISOString(), until: new Date(o.until).toISOString() },
    goalMs: o.goalMs,
    outages: strip(outageScore),
    picture: strip(pictureScore),
    falseAlarms: outageScore.falseAlarms + pictureScore.falseAlarms,
    delaysByKind,
    outagesNotSeenOnMqtt: notSeen,
    examples: {
      missed: [...outageScore.missedFaults, ...pictureScore.missedFaults].slice(0, 10),
      falseAlarms: [...outageScore.falseAlarmOutages, ...pictureScore.falseAlarmOutages].slice(0, 10),
    },
  };
}
