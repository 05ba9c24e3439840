// @ts-check
/* global AbortController -- browser globals (eslint.config.mjs only knows Node ones) */
import { ApiError, getBlob, streamPath } from './api.js';
import { el, setText } from './dom.js';

/**
 * The current frame of a camera, on demand. One preview at a time in the whole page: starting one
 * aborts the one before, leaving the view aborts it too, and every object URL is revoked once
 * replaced, so nothing keeps running or leaking when nobody looks. The server bounds the work
 * (8 s, 2 at once); the page waits a little longer than that before giving up.
 */

const PREVIEW_TIMEOUT_MS = 12_000;

/** @type {AbortController | null} */
let running = null;

/**
 * @param {unknown} err
 */
function explain(err) {
  if (err instanceof ApiError) {
    if (err.status === 501) return 'No preview for this stream: the server has no decoder for it (install ffmpeg).';
    if (err.status === 429) return 'Other previews are running; try again in a few seconds.';
    if (err.status === 504 || err.status === 0) return `No frame arrived in time (${err.message}).`;
    return `No preview: ${err.message}`;
  }
  return 'No preview.';
}

/**
 * @param {() => import('./format.js').Formatter} fmt
 * @returns {{ root: HTMLElement, show(id: string, name: string): void, stop(): void }}
 */
export function createPreview(fmt) {
  const button = el('button', { type: 'button', class: 'preview-button' }, ['Show current frame']);
  const status = el('p', { class: 'preview-status', role: 'status', 'aria-live': 'polite' });
  const figure = el('figure', { class: 'preview', hidden: true });
  const root = el('div', { class: 'preview-box' }, [button, status, figure]);
  let streamId = '';
  let streamName = '';
  /** @type {string | null} */
  let objectUrl = null;

  const clearImage = () => {
    figure.replaceChildren();
    figure.hidden = true;
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = null;
  };

  const load = async () => {
    running?.abort();
    const controller = new AbortController();
    running = controller;
    const id = streamId;
    button.disabled = true;
    setText(status, 'Fetching the current frame…');
    try {
      const blob = await getBlob(streamPath(id, 'preview'), { timeoutMs: PREVIEW_TIMEOUT_MS, signal: controller.signal });
      if (controller.signal.aborted || id !== streamId) return;
      clearImage();
      objectUrl = URL.createObjectURL(blob);
      figure.append(
        el('img', { src: objectUrl, alt: `Current frame of ${streamName}`, decoding: 'async' }),
        el('figcaption', {}, [`Frame fetched at ${fmt().dateTime(Date.now())}`]),
      );
      figure.hidden = false;
      setText(status, '');
    } catch (err) {
      if (controller.signal.aborted) return;
      setText(status, explain(err));
    } finally {
      if (running === controller) running = null;
      if (!controller.signal.aborted) button.disabled = false;
    }
  };

  button.addEventListener('click', () => {
    void load();
  });

  return {
    root,
    show(id, name) {
      if (id === streamId) {
        streamName = name;
        return;
      }
      this.stop();
      streamId = id;
      streamName = name;
    },
    stop() {
      running?.abort();
      running = null;
      button.disabled = false;
      setText(status, '');
      clearImage();
    },
  };
}
