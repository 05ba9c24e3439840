import type { HeartbeatRow, LatencyResult, OutageRow, StreamState, UptimeResult } from '../store/queries.js';
import { redactText, redactUrl } from '../util/redact.js';
import { iso } from './respond.js';

/**
 * Store rows → the JSON the API sends. Times go out as ISO-8601 UTC strings with the ms epoch
 * beside them (`…Ms`) for charts; URLs and messages pass the redaction again, because the
 * database may have been written by an older version or by another tool.
 */

export interface MediaJson {
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrateKbps: number | null;
}

export interface HeartbeatJson {
  ts: string | null;
  tsMs: number;
  ok: boolean;
  code: string;
  state: string;
  latencyMs: number;
  firstFrameMs: number | null;
  message: string | null;
  media: MediaJson | null;
}

export function heartbeatJson(row: HeartbeatRow): HeartbeatJson {
  const hasMedia = row.codec !== null || row.width !== null || row.height !== null || row.fps !== null || row.bitrateKbps !== null;
  return {
    ts: iso(row.ts),
    tsMs: row.ts,
    ok: row.ok,
    code: row.code,
    state: row.state,
    latencyMs: row.latencyMs,
    firstFrameMs: row.firstFrameMs,
    message: row.message === null ? null : redactText(row.message),
    media: hasMedia
      ? { codec: row.codec, width: row.width, height: row.height, fps: row.fps, bitrateKbps: row.bitrateKbps }
      : null,
  };
}

export interface UptimeJson {
  /** 100 × online / observed time; null when nothing was observed. */
  pct: number | null;
  onlineMs: number;
  observedMs: number;
  probes: number;
  failures: number;
}

export function uptimeJson(result: UptimeResult | undefined): UptimeJson {
  if (!result) return { pct: null, onlineMs: 0, observedMs: 0, probes: 0, failures: 0 };
  const { uptimePct, onlineMs, observedMs, probes, failures } = result;
  return { pct: uptimePct, onlineMs, observedMs, probes, failures };
}

export interface StreamJson {
  id: string;
  name: string;
  protocol: string;
  url: string;
  state: string;
  since: string | null;
  sinceMs: number;
  firstSeen: string | null;
  firstSeenMs: number;
  lastSeen: string | null;
  lastSeenMs: number;
  lastCode: string | null;
}

export function streamJson(s: StreamState): StreamJson {
  return {
    id: s.id,
    name: s.name,
    protocol: s.protocol,
    url: redactUrl(s.url),
    state: s.state,
    since: iso(s.since),
    sinceMs: s.since,
    firstSeen: iso(s.firstSeen),
    firstSeenMs: s.firstSeen,
    lastSeen: iso(s.lastSeen),
    lastSeenMs: s.lastSeen,
    lastCode: s.lastCode,
  };
}

export function outageJson(o: OutageRow): Record<string, unknown> {
  return {
    stream: o.streamId,
    start: iso(o.start),
    startMs: o.start,
    end: iso(o.end),
    endMs: o.end,
    open: o.end === null,
    durationMs: o.durationMs,
    code: o.code,
    message: redactText(o.message),
  };
}

export function latencyJson(l: LatencyResult): LatencyResult {
  return { count: l.count, p50: l.p50, p95: l.p95, mean: l.mean, min: l.min, max: l.max };
}
