import { PROBE_CODES } from '../lib/heartbeat.js';
import type { ProbeCode } from '../lib/heartbeat.js';
import type { Outage } from '../lib/health/types.js';

/** `msg.outage` as stream-probe sends it (an ended outage), checked; undefined when it is not one. */
export function readOutage(value: unknown, streamId: string): Outage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const { start, end, durationMs, code, message } = o;
  if (o.streamId !== streamId) return undefined;
  if (typeof start !== 'string' || typeof end !== 'string' || !Number.isFinite(Date.parse(start)) || !Number.isFinite(Date.parse(end))) return undefined;
  if (typeof durationMs !== 'number' || typeof message !== 'string' || !isCode(code)) return undefined;
  return { streamId, start, end, durationMs, code, message };
}

function isCode(value: unknown): value is ProbeCode {
  return typeof value === 'string' && (PROBE_CODES as readonly string[]).includes(value);
}
