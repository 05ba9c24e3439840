import { HEALTH_STATES, PROBE_CODES } from '../heartbeat.js';
import type { HealthState, ProbeCode } from '../heartbeat.js';
import type { CodeTally, HealthSnapshot } from './types.js';

/**
 * Reads a snapshot back from untrusted JSON (a database row written by an older version, a file
 * edited by hand): every field is checked, and anything malformed yields undefined rather than a
 * half-restored tracker.
 */
export function readSnapshot(value: unknown): HealthSnapshot | undefined {
  if (!isRecord(value) || value.version !== 1) return undefined;
  const { streamId, state, since, failStreak, goodStreak, partialStreak, codes, changes, flapping } = value;
  if (typeof streamId !== 'string' || !isState(state) || !isTime(since)) return undefined;
  if (!isCount(failStreak) || !isCount(goodStreak) || !isCount(partialStreak)) return undefined;
  if (typeof flapping !== 'boolean' || !Array.isArray(changes) || !changes.every(isTime)) return undefined;
  if (!Array.isArray(codes)) return undefined;
  const tallies: CodeTally[] = [];
  for (const entry of codes) {
    if (!isRecord(entry) || !isCode(entry.code) || !isCount(entry.count) || typeof entry.message !== 'string') {
      return undefined;
    }
    tallies.push({ code: entry.code, count: entry.count, message: entry.message });
  }
  const snap: HealthSnapshot = {
    version: 1,
    streamId,
    state,
    since,
    failStreak,
    goodStreak,
    partialStreak,
    codes: tallies,
    changes: [...changes],
    flapping,
  };
  for (const key of ['failStart', 'goodStart', 'partialStart'] as const) {
    const time = value[key];
    if (time === undefined) continue;
    if (!isTime(time)) return undefined;
    snap[key] = time;
  }
  return snap;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isState(value: unknown): value is HealthState {
  return typeof value === 'string' && (HEALTH_STATES as readonly string[]).includes(value);
}

function isCode(value: unknown): value is ProbeCode {
  return typeof value === 'string' && (PROBE_CODES as readonly string[]).includes(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isTime(value: unknown): value is string {
  return typeof value === 'string' && Number.isFinite(Date.parse(value));
}
