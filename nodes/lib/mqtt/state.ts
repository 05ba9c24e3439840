/**
 * The retained JSON on `<base>[/<site>]/<stream id>/state` and on the hub's state topic. Home
 * Assistant's entities read it through value templates (discovery.ts), so the keys those
 * templates read are always present (null when unknown): a missing key would make every render
 * log a template error.
 *
 * Fields are copied one by one from the heartbeat (an allow-list): probe evidence internals
 * (frame digests, HLS sequence bookkeeping) and anything a future Heartbeat field might carry
 * never reach the broker by accident. URL and message are redacted again, because a heartbeat
 * may come from any source (issue 8: a central store ingests other sites' heartbeats).
 *
 * The document is itself a valid Heartbeat (heartbeat-schema.ts) plus extra keys, so a central
 * Node-RED can feed it from a core `mqtt in` straight into heartbeat-store. With a site, its
 * `stream.id` is `<site>_<id>` and `stream.site` names the site: two sites' "gate" cameras stay
 * two streams there (topics.ts siteStreamId).
 */
import type { HealthState, Heartbeat, MediaInfo, ProbeCode, Timings } from '../heartbeat.js';
import { redactText, redactUrl } from '../util/redact.js';
import { siteStreamId } from './topics.js';

/** Uptime percentages (0–100) over the last 24 hours, 7 and 30 days, as far as known. */
export interface UptimeStats {
  h24?: number | null;
  d7?: number | null;
  d30?: number | null;
}

export interface LastError {
  code: ProbeCode;
  message: string;
  /** Start of the probe that failed. */
  ts: string;
}

/**
 * The newest value of each field that not every probe measures: a packet-level probe learns the
 * codec but not the picture size, and an MJPEG camera sends no `Date:`. Without this memory the
 * resolution entity would flip to "unknown" between keyframe probes.
 */
export interface KnownMedia {
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  clockSkewMs: number | null;
}

/** What the publisher remembers about a stream across heartbeats. */
export interface StreamMemory {
  /** Start of the newest probe that saw video. */
  lastSeen: string | null;
  lastError: LastError | null;
  lastKnown: KnownMedia;
  uptime: { h24: number | null; d7: number | null; d30: number | null };
}

export interface StreamStatePayload {
  /** `id` is `<site>_<id>` when `site` is present. */
  stream: { id: string; site?: string; name: string; url: string; protocol: string };
  ts: string;
  ok: boolean;
  code: ProbeCode;
  message: string;
  latencyMs: number;
  timings: Timings;
  media?: MediaInfo;
  clockSkewMs?: number;
  health: { state: HealthState; since: string; changed: boolean; failStreak: number; flapping: boolean };
  lastSeen: string | null;
  lastError: LastError | null;
  lastKnown: KnownMedia;
  uptime: { h24: number | null; d7: number | null; d30: number | null };
}

export const EMPTY_MEMORY: StreamMemory = {
  lastSeen: null,
  lastError: null,
  lastKnown: { codec: null, width: null, height: null, fps: null, clockSkewMs: null },
  uptime: { h24: null, d7: null, d30: null },
};

/** Probes name codecs as SDP, HLS or ffprobe do (`H264`, `H.264`, `h264`); Home Assistant shows one spelling. */
export function codecLabel(codec: string): string {
  const key = codec.trim().toUpperCase().replace(/[.\s-]/g, '');
  if (key === 'H264' || key === 'AVC' || key === 'AVC1') return 'H.264';
  if (key === 'H265' || key === 'HEVC' || key === 'HVC1' || key === 'HEV1') return 'H.265';
  if (key === 'MJPEG' || key === 'MJPG') return 'MJPEG';
  if (key === 'JPEG' || key === 'JPG') return 'JPEG';
  return codec.trim();
}

/** The memory after one more heartbeat (pure: the previous memory is not changed). */
export function rememberHeartbeat(previous: StreamMemory | undefined, hb: Heartbeat, uptime?: UptimeStats): StreamMemory {
  const prev = previous ?? EMPTY_MEMORY;
  const media = hb.media;
  return {
    lastSeen: hb.ok ? hb.ts : prev.lastSeen,
    lastError: hb.ok ? prev.lastError : { code: hb.code, message: redactText(hb.message), ts: hb.ts },
    lastKnown: {
      codec: media?.codec !== undefined && media.codec.trim() !== '' ? codecLabel(media.codec) : prev.lastKnown.codec,
      width: positive(media?.width) ?? prev.lastKnown.width,
      height: positive(media?.height) ?? prev.lastKnown.height,
      fps: positive(media?.fps) ?? prev.lastKnown.fps,
      clockSkewMs: finite(hb.clockSkewMs) ?? prev.lastKnown.clockSkewMs,
    },
    uptime: {
      h24: uptime?.h24 !== undefined ? percent(uptime.h24) : prev.uptime.h24,
      d7: uptime?.d7 !== undefined ? percent(uptime.d7) : prev.uptime.d7,
      d30: uptime?.d30 !== undefined ? percent(uptime.d30) : prev.uptime.d30,
    },
  };
}

/**
 * The state document for one heartbeat, free of secrets; keys in the Heartbeat's order, then
 * ours. `site` is the publishing instance's site id (MqttNaming.site), if it has one.
 */
export function streamStatePayload(hb: Heartbeat, memory: StreamMemory, site?: string): StreamStatePayload {
  const skew = finite(hb.clockSkewMs);
  return {
    stream: {
      id: siteStreamId({ site }, hb.stream.id),
      ...(site !== undefined ? { site } : {}),
      name: hb.stream.name,
      url: redactUrl(hb.stream.url),
      protocol: hb.stream.protocol,
    },
    ts: hb.ts,
    ok: hb.ok,
    code: hb.code,
    message: redactText(hb.message),
    latencyMs: hb.latencyMs,
    timings: pickTimings(hb.timings),
    ...(hb.media ? { media: pickMedia(hb.media) } : {}),
    ...(skew !== null ? { clockSkewMs: skew } : {}),
    health: {
      state: hb.health.state,
      since: hb.health.since,
      changed: hb.health.changed,
      failStreak: hb.health.failStreak,
      flapping: hb.health.flapping,
    },
    lastSeen: memory.lastSeen,
    lastError: memory.lastError,
    lastKnown: memory.lastKnown,
    uptime: memory.uptime,
  };
}

export function streamStateJson(hb: Heartbeat, memory: StreamMemory, site?: string): string {
  return JSON.stringify(streamStatePayload(hb, memory, site));
}

export interface HubCounts {
  total: number;
  online: number;
  degraded: number;
  offline: number;
  unknown: number;
}

export interface HubStatePayload {
  ts: string;
  streams: HubCounts;
  probesPerMinute: number | null;
  storeBytes: number | null;
}

export function countStates(states: Iterable<HealthState>): HubCounts {
  const counts: HubCounts = { total: 0, online: 0, degraded: 0, offline: 0, unknown: 0 };
  for (const state of states) {
    counts.total++;
    counts[state]++;
  }
  return counts;
}

export function hubStateJson(hub: HubStatePayload): string {
  const payload: HubStatePayload = {
    ts: hub.ts,
    streams: { ...hub.streams },
    probesPerMinute: hub.probesPerMinute === null ? null : round(hub.probesPerMinute, 1),
    storeBytes: hub.storeBytes === null ? null : Math.round(hub.storeBytes),
  };
  return JSON.stringify(payload);
}

function pickTimings(t: Timings): Timings {
  const out: Timings = {};
  if (finite(t.connectMs) !== null) out.connectMs = t.connectMs;
  if (finite(t.firstResponseMs) !== null) out.firstResponseMs = t.firstResponseMs;
  if (finite(t.firstFrameMs) !== null) out.firstFrameMs = t.firstFrameMs;
  return out;
}

function pickMedia(m: MediaInfo): MediaInfo {
  const out: MediaInfo = {};
  if (m.codec !== undefined) out.codec = m.codec;
  if (m.width !== undefined) out.width = m.width;
  if (m.height !== undefined) out.height = m.height;
  if (m.fps !== undefined) out.fps = m.fps;
  if (m.bitrateKbps !== undefined) out.bitrateKbps = m.bitrateKbps;
  if (m.audio !== undefined) out.audio = m.audio;
  return out;
}

function finite(n: number | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function positive(n: number | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null;
}

function percent(n: number | null): number | null {
  if (n === null || !Number.isFinite(n)) return null;
  return round(Math.min(100, Math.max(0, n)), 2);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
