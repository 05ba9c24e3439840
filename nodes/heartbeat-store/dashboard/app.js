// @ts-check
/* global document, window, setTimeout, clearTimeout, HTMLElement, HTMLAnchorElement, HTMLButtonElement, HTMLFormElement, HTMLInputElement, HTMLParagraphElement, HTMLSelectElement, HTMLTimeElement, HTMLUListElement -- browser globals (eslint.config.mjs only knows Node ones) */
import { ApiError, getJson, isRecord } from './api.js';
import { createDetail } from './detail.js';
import { byId, setText } from './dom.js';
import { createEditor } from './editor.js';
import { knownTimeZone, makeFormatter } from './format.js';
import { createGrid } from './grid.js';
import { num, readStreamList, str } from './model.js';
import { initTheme } from './theme.js';

/**
 * The dashboard's entry point: reads api/info once, then polls api/streams every 5 s (one request
 * at a time, paused while the tab is hidden) and patches the visible view. Views are hash routes
 * (#/, #/stream/<id>, #/editor), so the back button and bookmarks work and no URL path changes
 * under a proxy prefix.
 */

const POLL_MS = 5000;

/**
 * @typedef {object} Info
 * @property {string} version
 * @property {string | undefined} timezone
 * @property {string} csrfToken
 * @property {number} failuresToOffline
 * @property {boolean} editable
 * @property {string | null} fileName
 */

/** @returns {Promise<Info>} */
async function loadInfo() {
  /** @type {Info} */
  const fallback = { version: '', timezone: undefined, csrfToken: '', failuresToOffline: 2, editable: false, fileName: null };
  try {
    const body = await getJson('api/info');
    if (!isRecord(body)) return fallback;
    const health = isRecord(body.health) ? body.health : {};
    const file = isRecord(body.streamsFile) ? body.streamsFile : {};
    return {
      version: str(body.version) ?? '',
      timezone: knownTimeZone(body.timezone),
      csrfToken: str(body.csrfToken) ?? '',
      failuresToOffline: num(health.failuresToOffline) ?? 2,
      editable: file.editable === true,
      fileName: str(file.name),
    };
  } catch (err) {
    // An older server without api/info still has a usable grid and detail view.
    if (err instanceof ApiError && err.status === 404) return fallback;
    throw err;
  }
}

async function main() {
  const status = byId('refresh-status', HTMLParagraphElement);
  const updatedAt = byId('updated-at', HTMLTimeElement);
  const views = {
    grid: byId('view-grid', HTMLElement),
    detail: byId('view-detail', HTMLElement),
    editor: byId('view-editor', HTMLElement),
  };
  initTheme(byId('theme-toggle', HTMLButtonElement));

  let info = await loadInfo().catch(() => /** @type {Info} */ ({ version: '', timezone: undefined, csrfToken: '', failuresToOffline: 2, editable: false, fileName: null }));
  let fmt = makeFormatter(info.timezone);
  const applyInfo = () => {
    setText(byId('failures-to-offline', HTMLElement), String(info.failuresToOffline));
    setText(byId('timezone-name', HTMLElement), fmt.zone);
    setText(byId('version', HTMLElement), info.version);
    byId('nav-editor', HTMLAnchorElement).hidden = info.fileName === null;
    setText(byId('editor-file', HTMLElement), info.fileName ?? '');
  };
  applyInfo();

  const grid = createGrid({
    list: byId('grid', HTMLUListElement),
    empty: byId('grid-empty', HTMLElement),
    summary: byId('summary', HTMLUListElement),
    fmt: () => fmt,
  });
  const detail = createDetail({ root: views.detail, fmt: () => fmt });
  const editor = createEditor({ csrf: () => info.csrfToken, editable: () => info.editable });

  // Filter and sort: applied as typed, never submitted (Enter would reload the page).
  const filterText = byId('filter-text', HTMLInputElement);
  const filterState = byId('filter-state', HTMLSelectElement);
  const sortKey = byId('sort-key', HTMLSelectElement);
  const applyFilter = () => grid.setFilter(filterText.value, filterState.value);
  filterText.addEventListener('input', applyFilter);
  filterState.addEventListener('change', applyFilter);
  sortKey.addEventListener('change', () => grid.setSort(sortKey.value));
  byId('toolbar', HTMLFormElement).addEventListener('submit', (event) => event.preventDefault());

  /** @type {'grid' | 'detail' | 'editor'} */
  let view = 'grid';

  function route() {
    const hash = window.location.hash;
    const streamMatch = /^#\/stream\/([^/?#]+)$/.exec(hash);
    /** @type {'grid' | 'detail' | 'editor'} */
    const next = streamMatch ? 'detail' : hash === '#/editor' && info.fileName !== null ? 'editor' : 'grid';
    const changed = next !== view;
    if (view === 'detail' && next !== 'detail') detail.close();
    view = next;
    for (const [name, section] of Object.entries(views)) section.hidden = name !== view;
    for (const [id, target] of /** @type {const} */ ([['nav-grid', 'grid'], ['nav-editor', 'editor']])) {
      const link = byId(id, HTMLAnchorElement);
      if (target === view) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (streamMatch) {
      let id = '';
      try {
        id = decodeURIComponent(streamMatch[1] ?? '');
      } catch {
        id = '';
      }
      document.title = 'Camera · StreamPulse';
      void detail.open(id).then(() => {
        document.title = `${detail.heading.textContent ?? id} · StreamPulse`;
      });
      if (changed || document.activeElement === document.body) detail.heading.focus();
    } else if (view === 'editor') {
      document.title = 'Streams file · StreamPulse';
      void editor.open();
      if (changed) byId('editor-heading', HTMLElement).focus();
    } else {
      document.title = 'StreamPulse';
      if (changed) byId('grid-heading', HTMLElement).focus();
    }
  }
  window.addEventListener('hashchange', route);

  // The poll: one request in flight at most; the status line (aria-live) changes only when the
  // connection state does, so a screen reader is not told "updated" every five seconds.
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let lastProblem = /** @type {string | null} */ ('');
  let inFlight = false;
  async function poll() {
    clearTimeout(timer);
    timer = undefined;
    if (inFlight) return;
    inFlight = true;
    try {
      const list = readStreamList(await getJson('api/streams'));
      if (!info.timezone && list.timezone && knownTimeZone(list.timezone)) {
        info = { ...info, timezone: list.timezone };
        fmt = makeFormatter(info.timezone);
        applyInfo();
      }
      grid.update(list.streams, list.generatedMs);
      updatedAt.dateTime = new Date(list.generatedMs).toISOString();
      setText(updatedAt, fmt.dateTime(list.generatedMs));
      if (view === 'detail') await detail.refresh();
      if (lastProblem !== null) setText(status, 'Live: refreshing every 5 s');
      status.dataset.tone = 'ok';
      lastProblem = null;
    } catch (err) {
      const problem = err instanceof Error ? err.message : String(err);
      if (problem !== lastProblem) setText(status, `Connection problem: ${problem}. Retrying…`);
      status.dataset.tone = 'error';
      lastProblem = problem;
    } finally {
      inFlight = false;
    }
    if (!document.hidden) timer = setTimeout(() => void poll(), POLL_MS);
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && timer === undefined) void poll();
    else if (document.hidden) {
      clearTimeout(timer);
      timer = undefined;
    }
  });

  route();
  await poll();
}

main().catch((err) => {
  const status = document.getElementById('refresh-status');
  if (status) status.textContent = `The dashboard could not start: ${err instanceof Error ? err.message : String(err)}`;
});
