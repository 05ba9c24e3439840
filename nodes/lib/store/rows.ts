import type { Heartbeat } from '../heartbeat.js';
import type { HealthSnapshot, Outage } from '../health/types.js';
import { redactText, redactUrl } from '../util/redact.js';
import type { SqlParams } from './db.js';

/** An outage as the store keeps it: `end` is missing while it is still open. */
export type OutageRecord = Omit<Outage, 'end' | 'durationMs'> & Partial<Pick<Outage, 'end' | 'durationMs'>>;

/** One queued write, already turned into plain values so the queue holds no caller objects. */
export type PendingRow =
  | { table: 'heartbeats'; streamId: string; ts: number; params: SqlParams; stream: StreamRow }
  | { table: 'outages'; params: SqlParams }
  | { table: 'close-outages'; params: SqlParams }
  | { table: 'health'; params: SqlParams };

export interface StreamRow {
  id: string;
  name: string;
  protocol: string;
  url: string;
  lastSeen: number;
  state: string;
  stateSince: number;
  lastCode: string;
}

export const INSERT_HEARTBEAT = `INSERT OR REPLACE INTO heartbeats
  (stream_id, ts, ok, code, latency_ms, first_frame_ms, state, codec, width, height, fps, bitrate_kbps, message)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

// A late, older heartbeat (a retried batch) may lower first_seen but must not overwrite a newer
// state; every right-hand side of an UPDATE sees the old row, so NEWER compares old to new.
const NEWER = 'excluded.last_seen >= streams.last_seen';
const keepNewest = (column: string): string => `${column} = IIF(${NEWER}, excluded.${column}, streams.${column})`;
export const UPSERT_STREAM = `INSERT INTO streams
  (id, name, protocol, url, first_seen, last_seen, state, state_since, last_code)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET first_seen = MIN(streams.first_seen, excluded.first_seen),
    ${['name', 'protocol', 'url', 'last_seen', 'state', 'state_since', 'last_code'].map(keepNewest).join(',\n    ')}`;

export const UPSERT_OUTAGE = `INSERT INTO outages (stream_id, start_ts, end_ts, duration_ms, code, message)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (stream_id, start_ts) DO UPDATE SET end_ts = COALESCE(excluded.end_ts, outages.end_ts),
    duration_ms = COALESCE(excluded.duration_ms, outages.duration_ms), code = excluded.code, message = excluded.message`;

/** Ends a stream's open outages that began before `end` (a heartbeat source that sends no Outage). */
export const CLOSE_OPEN_OUTAGES = `UPDATE outages SET end_ts = ?1, duration_ms = ?1 - start_ts
  WHERE stream_id = ?2 AND end_ts IS NULL AND start_ts <= ?1`;

export const UPDATE_HEALTH = 'UPDATE streams SET health_json = ? WHERE id = ?';

/**
 * Heartbeat → row. URLs and messages arrive redacted by contract; they are redacted again here
 * because a password written to disk cannot be taken back.
 */
export function heartbeatRow(hb: Heartbeat): PendingRow {
  const ts = parseTime(hb.ts);
  const media = hb.media ?? {};
  const stream: StreamRow = {
    id: hb.stream.id,
    name: hb.stream.name,
    protocol: hb.stream.protocol,
    url: redactUrl(hb.stream.url),
    lastSeen: ts,
    state: hb.health.state,
    stateSince: parseTime(hb.health.since, ts),
    lastCode: hb.code,
  };
  const params: SqlParams = [
    hb.stream.id,
    ts,
    hb.ok ? 1 : 0,
    hb.code,
    Math.round(hb.latencyMs),
    roundOrNull(hb.timings.firstFrameMs),
    hb.health.state,
    media.codec ?? null,
    media.width ?? null,
    media.height ?? null,
    media.fps ?? null,
    roundOrNull(media.bitrateKbps),
    hb.ok ? null : redactText(hb.message),
  ];
  return { table: 'heartbeats', streamId: hb.stream.id, ts, params, stream };
}

export function outageRow(outage: OutageRecord): PendingRow {
  const start = parseTime(outage.start);
  const end = outage.end === undefined ? null : parseTime(outage.end);
  const duration = outage.durationMs ?? (end === null ? null : end - start);
  return {
    table: 'outages',
    params: [outage.streamId, start, end, duration, outage.code, redactText(outage.message)],
  };
}

export function closeOutagesRow(streamId: string, endIso: string): PendingRow {
  return { table: 'close-outages', params: [parseTime(endIso), streamId] };
}

export function healthRow(snapshot: HealthSnapshot): PendingRow {
  return { table: 'health', params: [JSON.stringify(snapshot), snapshot.streamId] };
}

export function streamParams(stream: StreamRow, firstSeen: number): SqlParams {
  const { id, name, protocol, url, lastSeen, state, stateSince, lastCode } = stream;
  return [id, name, protocol, url, firstSeen, lastSeen, state, stateSince, lastCode];
}

function parseTime(iso: string, fallback = Date.now()): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : fallback;
}

function roundOrNull(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : Math.round(value);
}
