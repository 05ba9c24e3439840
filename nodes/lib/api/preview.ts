/**
 * GET api/streams/:id/preview: the camera's current picture as image/jpeg. MJPEG and JPEG
 * cameras natively (preview-http.ts), RTSP and HLS through ffmpeg (preview-ffmpeg.ts). Bounded
 * so that a dashboard cannot turn the monitor into a load on the cameras or the host: one
 * deadline for the whole preview, at most two at once (429 beyond), nothing cached.
 */
import { ffmpegFrame } from './preview-ffmpeg.js';
import { httpFrame } from './preview-http.js';
import { HttpError, withCommonHeaders } from './respond.js';
import type { ApiContext, ApiRequest, ApiResponse, PreviewSlotsLike } from './types.js';

export const PREVIEW_TIMEOUT_MS = 8000;
export const MAX_PREVIEWS = 2;

/** A counting semaphore that never queues: a preview either starts now or is refused. */
export class PreviewSlots implements PreviewSlotsLike {
  private used = 0;

  constructor(readonly max = MAX_PREVIEWS) {}

  tryAcquire(): (() => void) | undefined {
    if (this.used >= this.max) return undefined;
    this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
    };
  }

  get inUse(): number {
    return this.used;
  }
}

/** Shared by every store node of the process: the bound is about the host's CPU and the cameras. */
const processSlots = new PreviewSlots();

export async function preview(ctx: ApiContext, req: ApiRequest, id: string): Promise<ApiResponse> {
  const stream = ctx.cameras?.()?.streams.find((s) => s.id === id);
  if (!stream) throw new HttpError(404, `stream not in the camera list: ${id}`);
  const release = (ctx.previewSlots ?? processSlots).tryAcquire();
  if (!release) throw new HttpError(429, 'too many previews at once; try again in a moment', { 'Retry-After': '2' });
  const timeoutMs = ctx.previewTimeoutMs ?? PREVIEW_TIMEOUT_MS;
  const started = performance.now();
  const signal = req.signal ?? new AbortController().signal;
  try {
    let jpeg: Buffer | undefined;
    const scheme = new URL(stream.url).protocol;
    const hls = stream.kind === 'hls' || new URL(stream.url).pathname.toLowerCase().endsWith('.m3u8');
    if ((scheme === 'http:' || scheme === 'https:') && !hls) {
      const frame = await httpFrame(stream, timeoutMs, signal);
      if ('jpeg' in frame) jpeg = frame.jpeg;
    }
    // RTSP, HLS, and an http URL that turned out to be an HLS playlist: ffmpeg, in the time left.
    jpeg ??= await ffmpegFrame(stream, { timeoutMs: Math.max(1, Math.round(timeoutMs - (performance.now() - started))), signal, ...(ctx.ffmpegPath ? { ffmpegPath: ctx.ffmpegPath } : {}) });
    return { status: 200, headers: withCommonHeaders({ 'Content-Type': 'image/jpeg' }), body: jpeg };
  } finally {
    release();
  }
}
