// @ts-check
/**
 * Numbers and times as people read them. Times are stored and sent in UTC; they are shown in the
 * configured IANA zone (api/info `timezone`: the streams file's, else the server's) through
 * Intl.DateTimeFormat, so a camera in Berlin reads the same on a phone set to another zone.
 */

/**
 * The zone if this browser knows it, else undefined (the browser's own zone).
 * @param {unknown} zone
 * @returns {string | undefined}
 */
export function knownTimeZone(zone) {
  if (typeof zone !== 'string' || zone === '') return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

/**
 * @typedef {object} Formatter
 * @property {string} zone            the zone in use (IANA name)
 * @property {(ms: number | null | undefined) => string} dateTime   e.g. 12 Mar 2026, 14:05:09
 * @property {(ms: number) => string} time        14:05
 * @property {(ms: number) => string} day         12 Mar
 * @property {(ms: number) => number} offsetMs    the zone's UTC offset at that instant
 */

/**
 * @param {string | undefined} zone
 * @returns {Formatter}
 */
export function makeFormatter(zone) {
  const timeZone = knownTimeZone(zone);
  const full = new Intl.DateTimeFormat(undefined, {
    timeZone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  const short = new Intl.DateTimeFormat(undefined, { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const day = new Intl.DateTimeFormat(undefined, { timeZone, month: 'short', day: 'numeric' });
  // The parts in the zone, read back as if they were UTC, minus the instant: the offset (for
  // chart ticks on local hour/day boundaries).
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  return {
    zone: full.resolvedOptions().timeZone,
    dateTime: (ms) => (typeof ms === 'number' && Number.isFinite(ms) ? full.format(ms) : '—'),
    time: (ms) => short.format(ms),
    day: (ms) => day.format(ms),
    offsetMs: (ms) => {
      /** @type {Record<string, number>} */
      const p = {};
      for (const part of parts.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
      const asUtc = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
      return asUtc - Math.floor(ms / 1000) * 1000;
    },
  };
}

/**
 * 850 ms, 12 s, 4 min, 3 h 5 min, 2 d 4 h.
 * @param {number | null | undefined} ms
 */
export function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(abs / 1000);
  const sign = ms < 0 ? '−' : '';
  if (s < 60) return `${sign}${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${sign}${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${sign}${d} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/**
 * "12 s ago" from the server's clock (generatedAt), not the browser's, which may be off.
 * @param {number | null | undefined} ms
 * @param {number} nowMs
 */
export function formatAgo(ms, nowMs) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return 'never';
  const age = nowMs - ms;
  if (age < 1000) return 'just now';
  return `${formatDuration(age)} ago`;
}

/**
 * 99.95 %; two decimals near 100 % where the difference matters (99.9 vs 99.99 is 8 h a year).
 * @param {number | null | undefined} pct
 */
export function formatPct(pct) {
  if (typeof pct !== 'number' || !Number.isFinite(pct)) return '—';
  const digits = pct >= 99 && pct < 100 ? 2 : 1;
  return `${pct.toFixed(digits)} %`;
}

/**
 * @param {number | null | undefined} ms
 */
export function formatLatency(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/**
 * Camera clock minus ours: "+2.5 s (camera ahead)".
 * @param {number | null | undefined} ms
 */
export function formatSkew(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return 'not reported';
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms (in step)`;
  const text = `${ms > 0 ? '+' : '−'}${(Math.abs(ms) / 1000).toFixed(1)} s`;
  return `${text} (camera ${ms > 0 ? 'ahead' : 'behind'})`;
}

/**
 * "H264 · 1920×1080 · 25 fps · 4000 kbit/s", or null when the probe learned nothing.
 * @param {{ codec?: string | null, width?: number | null, height?: number | null, fps?: number | null, bitrateKbps?: number | null } | null | undefined} media
 */
export function formatMedia(media) {
  if (!media) return null;
  const parts = [];
  if (media.codec) parts.push(media.codec);
  if (media.width && media.height) parts.push(`${media.width}×${media.height}`);
  if (media.fps) parts.push(`${Math.round(media.fps * 10) / 10} fps`);
  if (media.bitrateKbps) parts.push(`${Math.round(media.bitrateKbps)} kbit/s`);
  return parts.length > 0 ? parts.join(' · ') : null;
}
