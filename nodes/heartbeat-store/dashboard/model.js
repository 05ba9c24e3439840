// @ts-check
import { isRecord } from './api.js';

/**
 * The JSON of the store's API (nodes/lib/api/present.ts) read defensively into plain objects: a
 * field of the wrong type becomes null instead of a broken page.
 */

/** @typedef {'online' | 'degraded' | 'offline' | 'unknown'} HealthState */
export const STATES = /** @type {const} */ (['offline', 'degraded', 'unknown', 'online']);

/**
 * @typedef {object} Media
 * @property {string | null} codec
 * @property {number | null} width
 * @property {number | null} height
 * @property {number | null} fps
 * @property {number | null} bitrateKbps
 *
 * @typedef {object} Heartbeat
 * @property {number} tsMs
 * @property {boolean} ok
 * @property {string} code
 * @property {string} state
 * @property {number | null} latencyMs
 * @property {number | null} firstFrameMs
 * @property {string} message
 * @property {Media | null} media
 * @property {number | null} clockSkewMs
 *
 * @typedef {object} Uptime
 * @property {number | null} pct
 * @property {number} observedMs
 *
 * @typedef {object} Stream
 * @property {string} id
 * @property {string} name
 * @property {string} protocol
 * @property {string} url          credentials already redacted by the server
 * @property {HealthState} state
 * @property {number | null} sinceMs
 * @property {number | null} firstSeenMs
 * @property {number | null} lastSeenMs
 * @property {string | null} lastCode
 * @property {Heartbeat | null} last
 * @property {Record<string, Uptime | null>} uptime   keys '24h', '7d' (and '30d' in the detail)
 * @property {{ p50: number | null, p95: number | null } | null} latency24h
 *
 * @typedef {object} StreamList
 * @property {number} generatedMs
 * @property {string | null} timezone
 * @property {Stream[]} streams
 */

/** @param {unknown} v */
export function str(v) {
  return typeof v === 'string' ? v : null;
}

/** @param {unknown} v */
export function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * @param {unknown} v
 * @returns {HealthState}
 */
export function healthState(v) {
  return v === 'online' || v === 'degraded' || v === 'offline' ? v : 'unknown';
}

/**
 * @param {unknown} raw
 * @returns {Heartbeat | null}
 */
export function readHeartbeat(raw) {
  if (!isRecord(raw)) return null;
  const tsMs = num(raw.tsMs) ?? (typeof raw.ts === 'string' ? Date.parse(raw.ts) : NaN);
  if (!Number.isFinite(tsMs)) return null;
  const m = isRecord(raw.media) ? raw.media : null;
  return {
    tsMs,
    ok: raw.ok === true,
    code: str(raw.code) ?? 'unknown',
    state: healthState(raw.state),
    latencyMs: num(raw.latencyMs),
    firstFrameMs: num(raw.firstFrameMs),
    message: str(raw.message) ?? '',
    media: m ? { codec: str(m.codec), width: num(m.width), height: num(m.height), fps: num(m.fps), bitrateKbps: num(m.bitrateKbps) } : null,
    clockSkewMs: num(raw.clockSkewMs),
  };
}

/**
 * @param {unknown} raw
 * @returns {Uptime | null}
 */
function readUptime(raw) {
  if (!isRecord(raw)) return null;
  return { pct: num(raw.pct), observedMs: num(raw.observedMs) ?? 0 };
}

/**
 * @param {unknown} raw
 * @returns {Stream | null}
 */
export function readStream(raw) {
  if (!isRecord(raw)) return null;
  const id = str(raw.id);
  if (!id) return null;
  /** @type {Record<string, Uptime | null>} */
  const uptime = {};
  if (isRecord(raw.uptime)) for (const [key, value] of Object.entries(raw.uptime)) uptime[key] = readUptime(value);
  const lat = isRecord(raw.latency24h) ? raw.latency24h : null;
  return {
    id,
    name: str(raw.name) ?? id,
    protocol: str(raw.protocol) ?? '',
    url: str(raw.url) ?? '',
    state: healthState(raw.state),
    sinceMs: num(raw.sinceMs),
    firstSeenMs: num(raw.firstSeenMs),
    lastSeenMs: num(raw.lastSeenMs),
    lastCode: str(raw.lastCode),
    last: readHeartbeat(raw.last),
    uptime,
    latency24h: lat ? { p50: num(lat.p50), p95: num(lat.p95) } : null,
  };
}

/**
 * @param {unknown} body   GET api/streams
 * @returns {StreamList}
 */
export function readStreamList(body) {
  const record = isRecord(body) ? body : {};
  const list = Array.isArray(record.streams) ? record.streams : [];
  const generated = typeof record.generatedAt === 'string' ? Date.parse(record.generatedAt) : NaN;
  return {
    generatedMs: Number.isFinite(generated) ? generated : Date.now(),
    timezone: str(record.timezone),
    streams: list.map(readStream).filter((s) => s !== null),
  };
}

/**
 * The error shown on a card: the last probe's code and message when it failed.
 * @param {Stream} s
 */
export function lastError(s) {
  if (s.last && !s.last.ok) return s.last.message ? `${s.last.code}: ${s.last.message}` : s.last.code;
  if (!s.last && s.lastCode && s.lastCode !== 'ok') return s.lastCode;
  return '';
}
