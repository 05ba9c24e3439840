/**
 * The preview of an http(s) camera, natively: the probe's own HTTP client (credentials, Basic
 * and Digest, one redirect, honest status codes) and its MJPEG and snapshot readers, stopped at
 * the first whole JPEG. An HLS answer is handed back to the caller, which runs ffmpeg for it.
 */
import type { StreamConfig } from '../config/types.js';
import { headerValue, parseContentType, withHttpClient } from '../probe/http.js';
import type { HttpResponse } from '../probe/http.js';
import { describeStart, parseJpeg } from '../probe/jpeg.js';
import { readMjpegFrame } from '../probe/mjpeg.js';
import { readSnapshot } from '../probe/snapshot.js';
import type { FrameRead } from '../probe/snapshot.js';
import type { Credentials, ProbeContext } from '../probe/types.js';
import { Deadline } from '../util/deadline.js';
import { ProbeError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { HttpError } from './respond.js';

export type HttpFrame = { jpeg: Buffer } | { hls: true };

const ACCEPT = 'multipart/x-mixed-replace, image/jpeg;q=0.9, */*;q=0.5';
const HLS_TYPES = new Set(['application/vnd.apple.mpegurl', 'application/x-mpegurl', 'audio/mpegurl', 'audio/x-mpegurl']);

/** Status for a client that went away: nothing is sent, but the code names it in logs. */
export const CLIENT_GONE = 499;

export async function httpFrame(stream: StreamConfig, timeoutMs: number, signal: AbortSignal): Promise<HttpFrame> {
  const ctx = probeContext(stream, timeoutMs, signal);
  const secrets = [ctx.credentials?.password];
  try {
    return await withHttpClient(ctx, (client) => client.get(ctx.url, (res) => readFrame(ctx, res), ACCEPT));
  } catch (err) {
    if (signal.aborted) throw new HttpError(CLIENT_GONE, 'the client closed the request');
    if (err instanceof HttpError) throw err;
    if (err instanceof ProbeError) {
      throw new HttpError(err.code === 'timeout' ? 504 : 502, `camera: ${redactText(err.message, secrets)} (${err.code})`);
    }
    throw err;
  }
}

function probeContext(stream: StreamConfig, timeoutMs: number, signal: AbortSignal): ProbeContext {
  const url = new URL(stream.url);
  const username = stream.username ?? safeDecode(url.username);
  const password = stream.password ?? safeDecode(url.password);
  url.username = '';
  url.password = '';
  const credentials: Credentials | undefined = username || password ? { username, password } : undefined;
  return {
    url,
    ...(credentials ? { credentials } : {}),
    verify: 'keyframe',
    transport: 'tcp',
    kind: stream.kind,
    tlsVerify: stream.tlsVerify,
    deadline: new Deadline(timeoutMs),
    signal,
    now: Date.now,
    mark: () => undefined,
    facts: {},
  };
}

/** The first JPEG, by Content-Type, or by the first bytes when the type says nothing useful. */
async function readFrame(ctx: ProbeContext, res: HttpResponse): Promise<HttpFrame> {
  const { type, params } = parseContentType(headerValue(res.headers, 'content-type'));
  if (type === 'text/html' || type === 'application/xhtml+xml') {
    throw new HttpError(502, 'camera: answered with an HTML page (a login page?) instead of a picture');
  }
  if (HLS_TYPES.has(type) || res.url.pathname.toLowerCase().endsWith('.m3u8')) return { hls: true };
  if (type.startsWith('multipart/') && params['boundary']) return checked(ctx, await readMjpegFrame(ctx, res));
  if (type.startsWith('image/')) return checked(ctx, await readSnapshot(res));
  let first: Buffer | undefined;
  try {
    first = await res.body.read();
  } catch (err) {
    if (err instanceof ProbeError && err.code === 'timeout') throw new HttpError(504, 'camera: no data before the preview deadline');
    throw err;
  }
  if (!first || first.length === 0) throw new HttpError(502, `camera: answered ${res.status} with an empty body`);
  res.body.unshift(first);
  const text = first.toString('latin1');
  if (first[0] === 0xff && first[1] === 0xd8) return checked(ctx, await readSnapshot(res));
  if (text.replace(/^\uFEFF/, '').startsWith('#EXTM3U')) return { hls: true };
  const boundary = /^\s*--(\S+)\r?\n/.exec(text)?.[1];
  if (boundary) return checked(ctx, await readMjpegFrame(ctx, res, boundary));
  const clean = redactText(`camera: answered with ${type || 'no Content-Type'}, not a picture: starts with ${describeStart(first)}`, [ctx.credentials?.password]);
  throw new HttpError(502, clean);
}

/** Only a whole, well-formed JPEG goes to the browser. */
function checked(ctx: ProbeContext, frame: FrameRead): HttpFrame {
  if ('outcome' in frame) {
    const status = frame.outcome.code === 'no_frame' && ctx.deadline.expired() ? 504 : 502;
    throw new HttpError(status, `camera: ${redactText(frame.outcome.message, [ctx.credentials?.password])}`);
  }
  const info = parseJpeg(frame.jpeg);
  if ('error' in info) throw new HttpError(502, `camera: the picture is not a whole JPEG (${info.error})`);
  return { jpeg: frame.jpeg };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
