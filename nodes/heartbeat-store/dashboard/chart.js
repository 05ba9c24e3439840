// @ts-check
import { svg } from './dom.js';
import { formatDuration, formatLatency } from './format.js';

/**
 * Two small SVG drawings, no library: a latency line chart (median, with p95 where roll-ups give
 * it, and failed probes as ticks on the time axis) and an outage timeline. Both are drawn at the
 * container's pixel width, so text stays legible on a phone, and carry an aria-label summary; the
 * detail view lists the same outages in a table for screen readers.
 */

/** @typedef {import('./format.js').Formatter} Formatter */

/**
 * @typedef {object} LatencyPoint
 * @property {number} x      ms epoch (bucket middle or probe time)
 * @property {number} y      latency ms (median of the bucket, or the probe's)
 * @property {number | null} [hi]   p95 of the bucket
 *
 * @typedef {object} Outage
 * @property {number} startMs
 * @property {number | null} endMs   null while open
 * @property {string} code
 * @property {string} message
 */

const MARGIN = { left: 52, right: 12, top: 12, bottom: 26 };
const TIME_STEPS = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000];
const DAY_MS = 86_400_000;

/**
 * 1, 2 or 5 times a power of ten, so that `range` splits into about `count` steps.
 * @param {number} range
 * @param {number} count
 */
function niceStep(range, count) {
  const raw = range / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
}

/**
 * Tick instants on whole local minutes/hours/days of the configured zone.
 * @param {number} from
 * @param {number} to
 * @param {number} plotWidth
 * @param {Formatter} fmt
 */
function timeTicks(from, to, plotWidth, fmt) {
  const most = Math.max(2, Math.floor(plotWidth / 84));
  const step = TIME_STEPS.find((s) => (to - from) / s <= most) ?? TIME_STEPS[TIME_STEPS.length - 1] ?? DAY_MS;
  const offset = fmt.offsetMs(from);
  const ticks = [];
  for (let t = Math.ceil((from + offset) / step) * step - offset; t <= to; t += step) ticks.push(t);
  return { ticks, label: step >= DAY_MS ? fmt.day : fmt.time };
}

/**
 * @param {{ width: number, height?: number, from: number, to: number, points: LatencyPoint[], failures: number[], gapMs: number, fmt: Formatter }} o
 * @returns {SVGElement}
 */
export function latencyChart({ width, height = 220, from, to, points, failures, gapMs, fmt }) {
  const plotW = Math.max(80, width - MARGIN.left - MARGIN.right);
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const top = Math.max(1, ...points.map((p) => Math.max(p.y, p.hi ?? 0)));
  const yStep = niceStep(top, 4);
  const yMax = Math.ceil(top / yStep) * yStep;
  const sx = (/** @type {number} */ t) => MARGIN.left + ((t - from) / (to - from)) * plotW;
  const sy = (/** @type {number} */ v) => MARGIN.top + plotH - (v / yMax) * plotH;

  const grid = svg('g', { class: 'chart-grid' });
  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    grid.append(svg('line', { x1: MARGIN.left, x2: MARGIN.left + plotW, y1: sy(v), y2: sy(v) }));
    grid.append(svg('text', { x: MARGIN.left - 6, y: sy(v) + 4, 'text-anchor': 'end' }, [formatLatency(v)]));
  }
  const { ticks, label } = timeTicks(from, to, plotW, fmt);
  for (const t of ticks) {
    const x = sx(t);
    grid.append(svg('line', { class: 'tick', x1: x, x2: x, y1: MARGIN.top + plotH, y2: MARGIN.top + plotH + 4 }));
    // Labels at the very edges are anchored inwards so they are not cut off.
    const anchor = x > MARGIN.left + plotW - 28 ? 'end' : 'middle';
    grid.append(svg('text', { x, y: height - 6, 'text-anchor': anchor }, [label(t)]));
  }

  const p95 = points.filter((p) => typeof p.hi === 'number');
  const lines = svg('g', {}, [
    p95.length > 0 ? svg('path', { class: 'line line-p95', d: pathOf(p95.map((p) => ({ x: p.x, y: p.hi ?? p.y })), gapMs, sx, sy) }) : null,
    svg('path', { class: 'line line-main', d: pathOf(points, gapMs, sx, sy) }),
  ]);
  // A point with no neighbour inside the gap draws no line: show it as a dot.
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (!p) continue;
    const before = points[i - 1];
    const after = points[i + 1];
    const alone = (!before || p.x - before.x > gapMs) && (!after || after.x - p.x > gapMs);
    if (alone) lines.append(svg('circle', { class: 'dot-main', cx: sx(p.x), cy: sy(p.y), r: 2.5 }));
  }
  const fails = svg('g', { class: 'fail-marks' });
  for (const t of failures) {
    if (t >= from && t <= to) fails.append(svg('line', { x1: sx(t), x2: sx(t), y1: MARGIN.top + plotH - 8, y2: MARGIN.top + plotH }));
  }

  const ys = points.map((p) => p.y).sort((a, b) => a - b);
  const median = ys.length > 0 ? ys[Math.floor(ys.length / 2)] : undefined;
  const summary = points.length > 0
    ? `Latency chart: ${points.length} points, typical ${formatLatency(median)}, highest ${formatLatency(ys[ys.length - 1])}, ${failures.length} failed probes.`
    : 'Latency chart: no successful probes in this range.';
  return svg('svg', {
    class: 'chart', role: 'img', 'aria-label': summary, width, height, viewBox: `0 0 ${width} ${height}`,
  }, [
    grid,
    svg('rect', { class: 'plot-frame', x: MARGIN.left, y: MARGIN.top, width: plotW, height: plotH }),
    lines,
    fails,
    points.length === 0 ? svg('text', { class: 'chart-empty', x: MARGIN.left + plotW / 2, y: MARGIN.top + plotH / 2, 'text-anchor': 'middle' }, ['No successful probes in this range']) : null,
  ]);
}

/**
 * `M x y L x y …`, lifting the pen across gaps longer than `gapMs` (the monitor was off, or the
 * camera was down: a line across would invent data).
 * @param {{ x: number, y: number }[]} points
 * @param {number} gapMs
 * @param {(t: number) => number} sx
 * @param {(v: number) => number} sy
 */
function pathOf(points, gapMs, sx, sy) {
  let d = '';
  let prev = -Infinity;
  for (const p of points) {
    d += `${p.x - prev > gapMs ? 'M' : 'L'}${sx(p.x).toFixed(1)} ${sy(p.y).toFixed(1)} `;
    prev = p.x;
  }
  return d.trim() || 'M0 0';
}

/**
 * @param {{ width: number, from: number, to: number, now: number, firstSeenMs: number | null, outages: Outage[], fmt: Formatter }} o
 * @returns {SVGElement}
 */
export function outageTimeline({ width, from, to, now, firstSeenMs, outages, fmt }) {
  const height = 46;
  const left = MARGIN.left;
  const plotW = Math.max(80, width - left - MARGIN.right);
  const sx = (/** @type {number} */ t) => left + ((Math.min(Math.max(t, from), to) - from) / (to - from)) * plotW;
  const known = Math.max(from, firstSeenMs ?? from);
  const bar = svg('g', {}, [
    svg('rect', { class: 'tl-none', x: left, y: 6, width: plotW, height: 18 }),
    known < to ? svg('rect', { class: 'tl-ok', x: sx(known), y: 6, width: Math.max(0, sx(Math.min(to, now)) - sx(known)), height: 18 }) : null,
  ]);
  let downMs = 0;
  for (const o of outages) {
    const end = o.endMs ?? now;
    if (end < from || o.startMs > to) continue;
    const x = sx(o.startMs);
    const w = Math.max(2, sx(end) - x);
    downMs += Math.min(end, to) - Math.max(o.startMs, from);
    const text = `${fmt.dateTime(o.startMs)} – ${o.endMs === null ? 'now' : fmt.dateTime(o.endMs)} (${formatDuration(end - o.startMs)}): ${o.code}`;
    bar.append(svg('rect', { class: 'tl-down', x, y: 6, width: w, height: 18 }, [svg('title', {}, [text])]));
  }
  const summary = `Outage timeline: ${outages.length} outage${outages.length === 1 ? '' : 's'}, ${formatDuration(downMs)} down in this range.`;
  return svg('svg', { class: 'timeline', role: 'img', 'aria-label': summary, width, height, viewBox: `0 0 ${width} ${height}` }, [
    bar,
    svg('text', { x: left, y: height - 6, 'text-anchor': 'start' }, [fmt.dateTime(from)]),
    svg('text', { x: left + plotW, y: height - 6, 'text-anchor': 'end' }, [fmt.dateTime(to)]),
  ]);
}
