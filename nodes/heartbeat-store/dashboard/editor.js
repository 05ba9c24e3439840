// @ts-check
/* global window, HTMLButtonElement, HTMLDivElement, HTMLParagraphElement, HTMLTextAreaElement, HTMLUListElement -- browser globals (eslint.config.mjs only knows Node ones) */
import { ApiError, getJson, isRecord, sendJson } from './api.js';
import { byId, el, setText } from './dom.js';
import { num, str } from './model.js';

/**
 * The streams file editor: a textarea with line numbers, "Check" (server-side validation, the same
 * parser the monitor uses, problems listed and marked by line), "Save" (with the CSRF token and
 * the etag of the text it started from: a file changed on disk meanwhile is a conflict, never
 * overwritten). Passwords arrive as ******** and the server puts the real ones back on save.
 */

/**
 * @typedef {object} Issue
 * @property {number | null} line
 * @property {string} message
 * @property {'error' | 'warning'} level
 */

/**
 * @param {unknown} list
 * @param {'error' | 'warning'} level
 * @returns {Issue[]}
 */
function readIssues(list, level) {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    if (typeof item === 'string') return { line: null, message: item, level };
    const record = isRecord(item) ? item : {};
    const line = num(record.line);
    let message = str(record.message) ?? 'problem';
    // The parser prints `<file>:<line>: field: message`; the line is shown separately.
    if (line !== null) message = message.replace(/^[^\s:]*:\d+:\s*/, '');
    return { line, message, level };
  });
}

/**
 * @param {{ csrf: () => string, editable: () => boolean }} deps
 */
export function createEditor({ csrf, editable }) {
  const text = byId('editor-text', HTMLTextAreaElement);
  const gutter = byId('editor-gutter', HTMLDivElement);
  const status = byId('editor-status', HTMLParagraphElement);
  const issuesList = byId('editor-issues', HTMLUListElement);
  const checkButton = byId('editor-check', HTMLButtonElement);
  const saveButton = byId('editor-save', HTMLButtonElement);
  const reloadButton = byId('editor-reload', HTMLButtonElement);

  let etag = '';
  let savedText = '';
  let loaded = false;
  let busy = false;
  /** @type {Issue[]} */
  let issues = [];

  const dirty = () => loaded && text.value !== savedText;

  /** One number per line, marked where a problem is; rebuilt only when the line count changes. */
  function renderGutter() {
    const lines = text.value.split('\n').length;
    const marks = new Map(issues.filter((i) => i.line !== null).map((i) => [i.line, i.level]));
    const key = `${lines}|${[...marks].join(',')}`;
    if (gutter.dataset.key !== key) {
      gutter.dataset.key = key;
      const rows = [];
      for (let n = 1; n <= lines; n++) {
        const mark = marks.get(n);
        rows.push(el('div', { class: mark ? `gutter-line ${mark}` : 'gutter-line', 'data-line': n }, [String(n)]));
      }
      gutter.replaceChildren(...rows);
    }
    gutter.scrollTop = text.scrollTop;
  }

  /** @param {number} line */
  function selectLine(line) {
    const lines = text.value.split('\n');
    let start = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) start += (lines[i]?.length ?? 0) + 1;
    text.focus();
    text.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
    // Put the line in view: the textarea scrolls by line height.
    const lineHeight = parseFloat(window.getComputedStyle(text).lineHeight) || 20;
    text.scrollTop = Math.max(0, (line - 3) * lineHeight);
    renderGutter();
  }

  /** @param {Issue[]} list */
  function showIssues(list) {
    issues = list;
    issuesList.replaceChildren(...list.map((issue) => {
      const where = issue.line !== null ? `Line ${issue.line}` : 'File';
      const label = `${issue.level === 'error' ? 'Error' : 'Warning'} · ${where}: ${issue.message}`;
      if (issue.line === null) return el('li', { class: `issue ${issue.level}` }, [label]);
      const button = el('button', { type: 'button', class: 'link', 'data-line': issue.line }, [label]);
      const line = issue.line;
      button.addEventListener('click', () => selectLine(line));
      return el('li', { class: `issue ${issue.level}` }, [button]);
    }));
    renderGutter();
  }

  function updateButtons() {
    const writable = editable();
    saveButton.disabled = busy || !loaded || !writable;
    checkButton.disabled = busy || !loaded;
    reloadButton.disabled = busy;
    text.readOnly = !writable;
  }

  /**
   * @param {string} message
   * @param {'ok' | 'error' | ''} [tone]
   */
  function say(message, tone = '') {
    setText(status, message);
    status.dataset.tone = tone;
  }

  async function load() {
    busy = true;
    updateButtons();
    say('Loading the streams file…');
    try {
      const body = await getJson('api/streams-file');
      if (!isRecord(body) || typeof body.text !== 'string') throw new Error('the server sent no text');
      text.value = body.text;
      savedText = body.text;
      etag = str(body.etag) ?? '';
      loaded = true;
      showIssues([]);
      say(editable() ? '' : 'This file is read-only here.');
    } catch (err) {
      const notFile = err instanceof ApiError && err.status === 404;
      say(notFile ? 'The camera list is not a file (it is edited in the Node-RED editor).' : `Could not load the file: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      busy = false;
      updateButtons();
    }
  }

  async function check() {
    busy = true;
    updateButtons();
    say('Checking…');
    try {
      const body = await sendJson('POST', 'api/streams-file/check', { text: text.value });
      const record = isRecord(body) ? body : {};
      const list = [...readIssues(record.errors, 'error'), ...readIssues(record.warnings, 'warning')];
      showIssues(list);
      const errors = list.filter((i) => i.level === 'error').length;
      say(errors === 0 ? `No errors${list.length ? ` (${list.length} warning${list.length === 1 ? '' : 's'})` : ''}.` : `${errors} error${errors === 1 ? '' : 's'}: nothing was saved.`, errors === 0 ? 'ok' : 'error');
    } catch (err) {
      say(`Check failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      busy = false;
      updateButtons();
    }
  }

  async function save() {
    busy = true;
    updateButtons();
    say('Saving…');
    const sent = text.value;
    try {
      const body = await sendJson('PUT', 'api/streams-file', { text: sent, etag }, { 'X-StreamPulse-CSRF': csrf() });
      etag = (isRecord(body) ? str(body.etag) : null) ?? etag;
      savedText = sent;
      const record = isRecord(body) ? body : {};
      showIssues(readIssues(record.warnings, 'warning'));
      say('Saved. The monitor picks the new list up within seconds.', 'ok');
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && isRecord(err.body) && Array.isArray(err.body.errors)) {
        showIssues([...readIssues(err.body.errors, 'error'), ...readIssues(err.body.warnings, 'warning')]);
        say('Not saved: the file has errors (listed below).', 'error');
      } else if (err instanceof ApiError && err.status === 409) {
        say('Not saved: the file was changed on disk since you loaded it. Copy your changes, then “Reload from disk”.', 'error');
      } else if (err instanceof ApiError && err.status === 403) {
        say('Not saved: the server refused the request (security token). Reload the page and try again.', 'error');
      } else {
        say(`Not saved: ${err instanceof Error ? err.message : String(err)}`, 'error');
      }
    } finally {
      busy = false;
      updateButtons();
    }
  }

  text.addEventListener('input', renderGutter);
  text.addEventListener('scroll', () => {
    gutter.scrollTop = text.scrollTop;
  });
  checkButton.addEventListener('click', () => void check());
  saveButton.addEventListener('click', () => void save());
  reloadButton.addEventListener('click', () => {
    if (dirty() && !window.confirm('Discard your changes and load the file from disk?')) return;
    void load();
  });
  window.addEventListener('beforeunload', (event) => {
    if (dirty()) event.preventDefault();
  });
  updateButtons();

  return {
    /** Shows the editor; loads the file the first time (a later visit keeps unsaved edits). */
    async open() {
      if (!loaded && !busy) await load();
      renderGutter();
    },
  };
}
