// @ts-check
import { el, setClassFamily, setText } from './dom.js';
import { formatAgo, formatDuration, formatLatency, formatPct } from './format.js';
import { STATES, lastError } from './model.js';

/**
 * The camera grid: one card per stream, built once and patched on every refresh (only the text
 * and classes that changed), filtered and sorted in place so focus and scroll stay where they are.
 */

/** @typedef {import('./model.js').Stream} Stream */
/** @typedef {import('./format.js').Formatter} Formatter */

/**
 * @typedef {object} Card
 * @property {HTMLLIElement} root
 * @property {HTMLAnchorElement} link
 * @property {HTMLSpanElement} badge
 * @property {HTMLElement} protocol
 * @property {HTMLElement} latency
 * @property {HTMLElement} up24
 * @property {HTMLElement} up7
 * @property {HTMLTimeElement} lastSeen
 * @property {HTMLTimeElement} since
 * @property {HTMLParagraphElement} error
 * @property {Stream} stream
 */

/** @typedef {'state' | 'name' | 'latency' | 'uptime' | 'lastSeen'} SortKey */

/** Worst first: the camera that needs attention is at the top. */
const SEVERITY = Object.fromEntries(STATES.map((s, i) => [s, i]));

/**
 * @param {string} label
 * @param {Node} value
 */
function fact(label, value) {
  return el('div', { class: 'fact' }, [el('dt', {}, [label]), el('dd', {}, [value])]);
}

/** @param {Stream} stream */
function buildCard(stream) {
  const link = el('a', { href: `#/stream/${encodeURIComponent(stream.id)}`, class: 'card-link' });
  const badge = el('span', { class: 'badge' });
  const protocol = el('span');
  const latency = el('span');
  const up24 = el('span');
  const up7 = el('span');
  const lastSeen = el('time');
  const since = el('time');
  const error = el('p', { class: 'last-error' });
  const root = el('li', { class: 'card', 'data-id': stream.id }, [
    el('div', { class: 'card-head' }, [el('h2', { class: 'card-title' }, [link]), badge]),
    el('dl', { class: 'facts' }, [
      fact('Protocol', protocol),
      fact('Latency', latency),
      fact('Uptime 24 h', up24),
      fact('Uptime 7 d', up7),
      fact('Last seen', lastSeen),
      fact('In state for', since),
    ]),
    error,
  ]);
  return { root, link, badge, protocol, latency, up24, up7, lastSeen, since, error, stream };
}

/**
 * @param {Card} card
 * @param {Stream} s
 * @param {number} nowMs   the server's clock (generatedAt)
 * @param {Formatter} fmt
 */
function patchCard(card, s, nowMs, fmt) {
  card.stream = s;
  setClassFamily(card.root, 'state-', s.state);
  setText(card.link, s.name);
  setText(card.badge, s.state);
  setText(card.protocol, s.protocol || '—');
  setText(card.latency, s.last?.ok ? formatLatency(s.last.latencyMs) : '—');
  setText(card.up24, formatPct(s.uptime['24h']?.pct));
  setText(card.up7, formatPct(s.uptime['7d']?.pct));
  setText(card.lastSeen, formatAgo(s.lastSeenMs, nowMs));
  setTime(card.lastSeen, s.lastSeenMs, fmt);
  setText(card.since, s.sinceMs ? formatDuration(Math.max(0, nowMs - s.sinceMs)) : '—');
  setTime(card.since, s.sinceMs, fmt);
  const error = lastError(s);
  setText(card.error, error);
  card.error.hidden = error === '';
}

/**
 * @param {HTMLTimeElement} node
 * @param {number | null} ms
 * @param {Formatter} fmt
 */
function setTime(node, ms, fmt) {
  const iso = ms ? new Date(ms).toISOString() : '';
  if (node.dateTime !== iso) {
    node.dateTime = iso;
    node.title = ms ? fmt.dateTime(ms) : '';
  }
}

/**
 * @param {SortKey} key
 * @returns {(a: Stream, b: Stream) => number}
 */
function comparator(key) {
  const byName = (/** @type {Stream} */ a, /** @type {Stream} */ b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base', numeric: true }) || a.id.localeCompare(b.id);
  // Missing values sort last whatever the direction.
  const missingLast = (/** @type {number | null | undefined} */ x, /** @type {number | null | undefined} */ y, /** @type {number} */ dir) => {
    const a = typeof x === 'number' ? x : null;
    const b = typeof y === 'number' ? y : null;
    if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
    return dir * (a - b);
  };
  switch (key) {
    case 'name': return byName;
    case 'latency': return (a, b) => missingLast(a.last?.ok ? a.last.latencyMs : null, b.last?.ok ? b.last.latencyMs : null, -1) || byName(a, b);
    case 'uptime': return (a, b) => missingLast(a.uptime['24h']?.pct, b.uptime['24h']?.pct, 1) || byName(a, b);
    case 'lastSeen': return (a, b) => missingLast(a.lastSeenMs, b.lastSeenMs, 1) || byName(a, b);
    case 'state':
    default: return (a, b) => (SEVERITY[a.state] ?? 9) - (SEVERITY[b.state] ?? 9) || byName(a, b);
  }
}

/**
 * @param {Stream} s
 * @param {string} text   lower-case
 * @param {string} state
 */
function matches(s, text, state) {
  if (state && s.state !== state) return false;
  if (!text) return true;
  return [s.name, s.id, s.protocol, lastError(s)].some((v) => v.toLowerCase().includes(text));
}

/**
 * @param {{ list: HTMLUListElement, empty: HTMLElement, summary: HTMLUListElement, fmt: () => Formatter }} parts
 */
export function createGrid({ list, empty, summary, fmt }) {
  /** @type {Map<string, Card>} */
  const cards = new Map();
  let filterText = '';
  let filterState = '';
  /** @type {SortKey} */
  let sortKey = 'state';
  let loaded = false;

  function arrange() {
    const ordered = [...cards.values()].sort((a, b) => comparator(sortKey)(a.stream, b.stream));
    let visible = 0;
    for (const card of ordered) {
      const show = matches(card.stream, filterText, filterState);
      card.root.hidden = !show;
      if (show) visible++;
    }
    // Move nodes only when the order really changed: moving a focused link would drop its focus.
    const current = [...list.children];
    if (ordered.some((card, i) => current[i] !== card.root)) list.append(...ordered.map((c) => c.root));
    empty.hidden = !loaded || visible > 0;
    setText(empty, cards.size === 0 ? 'No heartbeats yet: cameras appear here after their first probe.' : 'No camera matches the filter.');
  }

  /** @param {Stream[]} streams */
  function renderSummary(streams) {
    /** @type {Record<string, number>} */
    const counts = {};
    for (const s of streams) counts[s.state] = (counts[s.state] ?? 0) + 1;
    const items = STATES.filter((state) => counts[state]).map((state) =>
      el('li', { class: `summary-item state-${state}` }, [el('span', { class: 'dot', 'aria-hidden': 'true' }), `${counts[state]} ${state}`]));
    const key = items.map((i) => i.textContent).join('|');
    if (summary.dataset.key !== key) {
      summary.dataset.key = key;
      summary.replaceChildren(...items);
    }
  }

  return {
    /**
     * @param {Stream[]} streams
     * @param {number} nowMs
     */
    update(streams, nowMs) {
      loaded = true;
      const seen = new Set();
      for (const s of streams) {
        seen.add(s.id);
        let card = cards.get(s.id);
        if (!card) {
          card = buildCard(s);
          cards.set(s.id, card);
        }
        patchCard(card, s, nowMs, fmt());
      }
      for (const [id, card] of cards) {
        if (seen.has(id)) continue;
        card.root.remove();
        cards.delete(id);
      }
      renderSummary(streams);
      arrange();
    },
    /**
     * @param {string} text
     * @param {string} state
     */
    setFilter(text, state) {
      filterText = text.trim().toLowerCase();
      filterState = state;
      arrange();
    },
    /** @param {string} key */
    setSort(key) {
      sortKey = key === 'name' || key === 'latency' || key === 'uptime' || key === 'lastSeen' ? key : 'state';
      arrange();
    },
    /** @param {string} id */
    find(id) {
      return cards.get(id)?.stream;
    },
  };
}
