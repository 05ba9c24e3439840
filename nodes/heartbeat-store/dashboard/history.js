// @ts-check
/* global ResizeObserver, requestAnimationFrame, AbortController -- browser globals (eslint.config.mjs only knows Node ones) */
import { getJson, isRecord, streamPath } from './api.js';
import { outageTimeline, latencyChart } from './chart.js';
import { el, setText } from './dom.js';
import { formatDuration } from './format.js';
import { num, readHeartbeat, str } from './model.js';

/**
 * One stream's history for 24 h / 7 d / 30 d: the latency chart and outage timeline (with the
 * outages as a table). The chart reads roll-ups (minute buckets for a day, hour buckets beyond)
 * and the raw heartbeats after the last complete bucket, so the last minutes are never missing.
 */

/** @typedef {import('./format.js').Formatter} Formatter */
/** @typedef {import('./chart.js').LatencyPoint} LatencyPoint */
/** @typedef {import('./chart.js').Outage} Outage */

const DAY = 86_400_000;
/** @type {Record<string, { label: string, spanMs: number, level: 'minute' | 'hour', bucketMs: number }>} */
export const RANGES = {
  '24h': { label: '24 h', spanMs: DAY, level: 'minute', bucketMs: 60_000 },
  '7d': { label: '7 d', spanMs: 7 * DAY, level: 'hour', bucketMs: 3_600_000 },
  '30d': { label: '30 d', spanMs: 30 * DAY, level: 'hour', bucketMs: 3_600_000 },
};
const RAW_PAGE = 5000;
const RAW_PAGES = 3;

/**
 * @typedef {object} HistoryData
 * @property {number} from
 * @property {number} to
 * @property {LatencyPoint[]} points
 * @property {number[]} failures
 * @property {Outage[]} outages
 */

/**
 * @param {string} id
 * @param {string} rangeKey
 * @param {number} now
 * @param {AbortSignal} signal
 * @returns {Promise<HistoryData>}
 */
async function loadHistory(id, rangeKey, now, signal) {
  const range = RANGES[rangeKey] ?? RANGES['24h'];
  if (!range) throw new Error('no range');
  const from = now - range.spanMs;
  const opts = { signal, timeoutMs: 20_000 };
  const [rollBody, outageBody] = await Promise.all([
    getJson(streamPath(id, 'rollups', { level: range.level, from, to: now, limit: Math.ceil(range.spanMs / range.bucketMs) + 1 }), opts),
    getJson(streamPath(id, 'outages', { from, to: now, limit: 1000 }), opts),
  ]);
  /** @type {LatencyPoint[]} */
  const points = [];
  /** @type {number[]} */
  const failures = [];
  let rolledTo = from;
  const rollups = isRecord(rollBody) && Array.isArray(rollBody.rollups) ? rollBody.rollups : [];
  for (const r of rollups) {
    if (!isRecord(r)) continue;
    const bucket = num(r.bucketMs);
    if (bucket === null) continue;
    rolledTo = Math.max(rolledTo, bucket + range.bucketMs);
    const mid = bucket + range.bucketMs / 2;
    const lat = isRecord(r.latency) ? r.latency : {};
    const y = num(lat.p50) ?? num(lat.mean);
    if (y !== null && (num(lat.count) ?? 1) > 0) points.push({ x: mid, y, hi: num(lat.p95) });
    if ((num(r.failures) ?? 0) > 0) failures.push(mid);
  }
  // The raw tail: heartbeats the roll-up job has not reached yet (keyset paging via nextFrom).
  let cursor = rolledTo;
  for (let page = 0; page < RAW_PAGES && cursor < now; page++) {
    const body = await getJson(streamPath(id, 'heartbeats', { from: cursor, to: now + 1, limit: RAW_PAGE }), opts);
    const rows = isRecord(body) && Array.isArray(body.heartbeats) ? body.heartbeats : [];
    for (const raw of rows) {
      const hb = readHeartbeat(raw);
      if (!hb) continue;
      if (hb.ok && hb.latencyMs !== null) points.push({ x: hb.tsMs, y: hb.latencyMs });
      else if (!hb.ok) failures.push(hb.tsMs);
    }
    const next = isRecord(body) ? num(body.nextFrom) : null;
    if (next === null) break;
    cursor = next;
  }
  const outageRows = isRecord(outageBody) && Array.isArray(outageBody.outages) ? outageBody.outages : [];
  /** @type {Outage[]} */
  const outages = [];
  for (const o of outageRows) {
    if (!isRecord(o)) continue;
    const startMs = num(o.startMs);
    if (startMs === null) continue;
    outages.push({ startMs, endMs: num(o.endMs), code: str(o.code) ?? '', message: str(o.message) ?? '' });
  }
  return { from, to: now, points, failures, outages };
}

/**
 * Where the line breaks: three typical spacings between points (at least a minute).
 * @param {LatencyPoint[]} points
 */
function gapFor(points) {
  const steps = [];
  for (let i = 1; i < points.length; i++) steps.push((points[i]?.x ?? 0) - (points[i - 1]?.x ?? 0));
  steps.sort((a, b) => a - b);
  return Math.max(60_000, 3 * (steps[Math.floor(steps.length / 2)] ?? 0));
}

/**
 * @param {{ fmt: () => Formatter }} deps
 */
export function createHistory({ fmt }) {
  const chartBox = el('div', { class: 'chart-box' });
  const timelineBox = el('div', { class: 'chart-box' });
  const status = el('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const outageBody = el('tbody');
  const outageTable = el('table', { class: 'data' }, [
    el('caption', { class: 'visually-hidden' }, ['Outages in the range']),
    el('thead', {}, [el('tr', {}, ['Start', 'End', 'Duration', 'Code', 'Message'].map((h) => el('th', { scope: 'col' }, [h])))]),
    outageBody,
  ]);
  const root = el('div', { class: 'history' }, [
    el('h3', {}, ['Latency']),
    chartBox,
    el('p', { class: 'legend-line muted' }, [
      el('span', { class: 'key key-main', 'aria-hidden': 'true' }), ' median ',
      el('span', { class: 'key key-p95', 'aria-hidden': 'true' }), ' p95 ',
      el('span', { class: 'key key-fail', 'aria-hidden': 'true' }), ' failed probes',
    ]),
    el('h3', {}, ['Outages']),
    timelineBox,
    el('div', { class: 'table-wrap' }, [outageTable]),
    status,
  ]);

  /** @type {HistoryData | null} */
  let data = null;
  let firstSeen = /** @type {number | null} */ (null);
  /** @type {AbortController | null} */
  let loading = null;

  const draw = () => {
    if (!data) return;
    const width = Math.max(280, Math.floor(chartBox.clientWidth || 640));
    const f = fmt();
    chartBox.replaceChildren(latencyChart({ width, from: data.from, to: data.to, points: data.points, failures: data.failures, gapMs: gapFor(data.points), fmt: f }));
    timelineBox.replaceChildren(outageTimeline({ width, from: data.from, to: data.to, now: data.to, firstSeenMs: firstSeen, outages: data.outages, fmt: f }));
    const rows = [...data.outages].reverse().map((o) => el('tr', {}, [
      el('td', {}, [f.dateTime(o.startMs)]),
      el('td', {}, [o.endMs === null ? 'ongoing' : f.dateTime(o.endMs)]),
      el('td', {}, [formatDuration((o.endMs ?? data?.to ?? o.startMs) - o.startMs)]),
      el('td', {}, [el('code', {}, [o.code])]),
      el('td', { class: 'message' }, [o.message]),
    ]));
    outageBody.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, [el('td', { colspan: 5, class: 'muted' }, ['No outages in this range.'])])]));
  };

  let pendingFrame = false;
  new ResizeObserver(() => {
    if (pendingFrame) return;
    pendingFrame = true;
    requestAnimationFrame(() => {
      pendingFrame = false;
      draw();
    });
  }).observe(chartBox);

  return {
    root,
    /**
     * @param {string} id
     * @param {string} rangeKey
     * @param {number | null} firstSeenMs
     * @param {number} now   the server's clock
     */
    async load(id, rangeKey, firstSeenMs, now) {
      loading?.abort();
      const controller = new AbortController();
      loading = controller;
      firstSeen = firstSeenMs;
      if (!data) setText(status, 'Loading history…');
      try {
        const loaded = await loadHistory(id, rangeKey, now, controller.signal);
        if (controller.signal.aborted) return;
        data = loaded;
        setText(status, '');
        draw();
      } catch (err) {
        if (controller.signal.aborted) return;
        setText(status, `History not available: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        if (loading === controller) loading = null;
      }
    },
    /** Forgets the drawn stream (another one opens) and stops a running load. */
    reset() {
      loading?.abort();
      loading = null;
      data = null;
      chartBox.replaceChildren();
      timelineBox.replaceChildren();
      outageBody.replaceChildren();
      setText(status, '');
    },
  };
}
