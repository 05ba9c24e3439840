// @ts-check
/* global URLSearchParams -- browser globals (eslint.config.mjs only knows Node ones) */
import { ApiError, getJson, isRecord, streamPath } from './api.js';
import { el, setClassFamily, setText } from './dom.js';
import { formatAgo, formatDuration, formatLatency, formatMedia, formatPct, formatSkew } from './format.js';
import { RANGES, createHistory } from './history.js';
import { lastError, readHeartbeat, readStream } from './model.js';
import { createPreview } from './preview.js';

/**
 * One camera: what it is doing now (facts, preview), its history (chart, outages) and its last
 * heartbeats. Opened by #/stream/<id>; refreshed by the app's poll (facts every time, history
 * once a minute or when the range changes).
 */

/** @typedef {import('./format.js').Formatter} Formatter */
/** @typedef {import('./model.js').Stream} Stream */

const HISTORY_EVERY_MS = 60_000;
const LAST_HEARTBEATS = 20;
/** Windows tried, smallest first, until one holds enough heartbeats (no stream probes > 3/s). */
const WINDOWS_MS = [300_000, 3_600_000, 86_400_000, 30 * 86_400_000];

/**
 * @param {{ root: HTMLElement, fmt: () => Formatter }} deps
 */
export function createDetail({ root, fmt }) {
  const heading = el('h1', { id: 'detail-heading', tabindex: '-1' });
  const badge = el('span', { class: 'badge' });
  const problem = el('p', { class: 'notice', role: 'alert', hidden: true });
  const facts = el('dl', { class: 'facts wide' });
  const preview = createPreview(fmt);
  const history = createHistory({ fmt });
  const csv = el('a', { class: 'button ghost', download: true }, ['Export CSV']);
  /** @type {Record<string, HTMLButtonElement>} */
  const rangeButtons = {};
  const rangeGroup = el('div', { class: 'segmented', role: 'group', 'aria-label': 'History range' });
  for (const [key, range] of Object.entries(RANGES)) {
    const button = el('button', { type: 'button', 'aria-pressed': 'false', 'data-range': key }, [range.label]);
    button.addEventListener('click', () => selectRange(key));
    rangeButtons[key] = button;
    rangeGroup.append(button);
  }
  const beatsBody = el('tbody');
  root.replaceChildren(
    el('a', { href: '#/', class: 'back' }, ['← All cameras']),
    el('div', { class: 'view-head' }, [heading, badge]),
    problem,
    el('div', { class: 'detail-columns' }, [
      el('section', { class: 'panel', 'aria-labelledby': 'now-heading' }, [el('h2', { id: 'now-heading' }, ['Now']), facts]),
      el('section', { class: 'panel', 'aria-labelledby': 'preview-heading' }, [el('h2', { id: 'preview-heading' }, ['Preview']), preview.root]),
    ]),
    el('section', { class: 'panel', 'aria-labelledby': 'history-heading' }, [
      el('div', { class: 'panel-head' }, [el('h2', { id: 'history-heading' }, ['History']), rangeGroup, csv]),
      history.root,
    ]),
    el('section', { class: 'panel', 'aria-labelledby': 'beats-heading' }, [
      el('h2', { id: 'beats-heading' }, ['Last heartbeats']),
      el('div', { class: 'table-wrap' }, [el('table', { class: 'data' }, [
        el('thead', {}, [el('tr', {}, ['Time', 'Result', 'State', 'Latency', 'Media', 'Message'].map((h) => el('th', { scope: 'col' }, [h])))]),
        beatsBody,
      ])]),
    ]),
  );

  let streamId = '';
  let rangeKey = '24h';
  let historyAt = 0;
  let beatsFor = -1;
  /** @type {Stream | null} */
  let stream = null;
  let serverNow = Date.now();
  /** Bumped on every open: answers for a stream no longer shown are dropped. */
  let generation = 0;

  /** @param {string} key */
  function selectRange(key) {
    rangeKey = key in RANGES ? key : '24h';
    for (const [k, b] of Object.entries(rangeButtons)) b.setAttribute('aria-pressed', String(k === rangeKey));
    const span = RANGES[rangeKey]?.spanMs ?? 86_400_000;
    csv.href = `api/export.csv?${new URLSearchParams({ stream: streamId, from: String(serverNow - span) })}`;
    setText(csv, `Export CSV (${RANGES[rangeKey]?.label ?? ''})`);
    historyAt = serverNow;
    void history.load(streamId, rangeKey, stream?.firstSeenMs ?? null, serverNow);
  }

  /**
   * @param {Stream} s
   * @param {Formatter} f
   */
  function renderFacts(s, f) {
    const last = s.last;
    /** @type {[string, string][]} */
    const rows = [
      ['ID', s.id],
      ['Protocol', s.protocol || '—'],
      ['URL', s.url || '—'],
      [`In state ${s.state} since`, s.sinceMs ? `${f.dateTime(s.sinceMs)} (${formatDuration(serverNow - s.sinceMs)})` : '—'],
      ['Last seen', s.lastSeenMs ? `${f.dateTime(s.lastSeenMs)} (${formatAgo(s.lastSeenMs, serverNow)})` : 'never'],
      ['First seen', f.dateTime(s.firstSeenMs)],
      ['Last result', last ? (last.ok ? `ok${last.message ? `: ${last.message}` : ''}` : lastError(s)) : (s.lastCode ?? '—')],
      ['Latency (last probe)', last?.ok ? formatLatency(last.latencyMs) : '—'],
      ['Latency 24 h (median / p95)', s.latency24h ? `${formatLatency(s.latency24h.p50)} / ${formatLatency(s.latency24h.p95)}` : '—'],
      ['Uptime 24 h / 7 d / 30 d', ['24h', '7d', '30d'].map((k) => formatPct(s.uptime[k]?.pct)).join(' / ')],
      ['Media', formatMedia(last?.media) ?? 'not reported'],
      ['Clock skew', formatSkew(last?.clockSkewMs)],
    ];
    facts.replaceChildren(...rows.map(([k, v]) => el('div', { class: 'fact' }, [el('dt', {}, [k]), el('dd', {}, [v])])));
  }

  /** @param {number} gen */
  async function loadBeats(gen) {
    let beats = /** @type {import('./model.js').Heartbeat[]} */ ([]);
    for (const windowMs of WINDOWS_MS) {
      const body = await getJson(streamPath(streamId, 'heartbeats', { from: serverNow - windowMs, to: serverNow + 1, limit: 1000 }));
      const rows = isRecord(body) && Array.isArray(body.heartbeats) ? body.heartbeats : [];
      beats = rows.map(readHeartbeat).filter((h) => h !== null);
      if (beats.length >= LAST_HEARTBEATS) break;
    }
    if (gen !== generation) return;
    const f = fmt();
    const rows = beats.slice(-LAST_HEARTBEATS).reverse().map((h) => el('tr', { class: h.ok ? 'ok' : 'failed' }, [
      el('td', {}, [f.dateTime(h.tsMs)]),
      el('td', {}, [el('code', {}, [h.code])]),
      el('td', {}, [el('span', { class: `badge small state-${h.state}` }, [h.state])]),
      el('td', {}, [h.ok ? formatLatency(h.latencyMs) : '—']),
      el('td', {}, [formatMedia(h.media) ?? '']),
      el('td', { class: 'message' }, [h.message]),
    ]));
    beatsBody.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, [el('td', { colspan: 6, class: 'muted' }, ['No heartbeats in the last 30 days.'])])]));
  }

  /** Reloads the facts (and the history when due); errors show in the notice, the rest stays. */
  async function refresh() {
    const gen = generation;
    const id = streamId;
    try {
      const body = await getJson(streamPath(id));
      if (gen !== generation) return;
      const s = isRecord(body) ? readStream(body.stream) : null;
      if (!s) throw new Error('the server sent no stream');
      const generated = isRecord(body) && typeof body.generatedAt === 'string' ? Date.parse(body.generatedAt) : NaN;
      serverNow = Number.isFinite(generated) ? generated : Date.now();
      const firstLoad = stream === null;
      stream = s;
      setText(heading, s.name);
      setText(badge, s.state);
      setClassFamily(badge, 'state-', s.state);
      renderFacts(s, fmt());
      preview.show(s.id, s.name);
      problem.hidden = true;
      if (firstLoad) selectRange(rangeKey);
      else if (serverNow - historyAt >= HISTORY_EVERY_MS) {
        historyAt = serverNow;
        void history.load(id, rangeKey, s.firstSeenMs, serverNow);
      }
      if ((s.lastSeenMs ?? 0) !== beatsFor) {
        beatsFor = s.lastSeenMs ?? 0;
        await loadBeats(gen);
      }
    } catch (err) {
      if (gen !== generation) return;
      const missing = err instanceof ApiError && err.status === 404;
      setText(problem, missing ? `No camera with the id “${id}” has reported yet.` : `Could not load this camera: ${err instanceof Error ? err.message : String(err)}`);
      problem.hidden = false;
      if (missing) setText(heading, id);
    }
  }

  return {
    /** @param {string} id */
    async open(id) {
      if (id !== streamId) {
        generation++;
        streamId = id;
        stream = null;
        beatsFor = -1;
        history.reset();
        facts.replaceChildren();
        beatsBody.replaceChildren();
        setText(heading, id);
        setText(badge, '…');
      }
      await refresh();
    },
    refresh,
    /** Leaving the view: nothing keeps running for a camera nobody looks at. */
    close() {
      generation++;
      streamId = '';
      stream = null;
      preview.stop();
      history.reset();
    },
    heading,
  };
}
