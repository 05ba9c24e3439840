/**
 * The http(s):// probe: one GET, then the handler the stream's `kind` names, or for `auto` the one
 * the response's Content-Type (or, when that says nothing useful, the first bytes) calls for.
 * A 200 that carries an HTML page or other text is `bad_frame`: it is not video, whatever the
 * status line says.
 */
import type { Protocol } from '../heartbeat.js';
import type { HttpKind, Outcome, ProbeContext, ProtocolProbe } from './types.js';
import type { HttpClient, HttpResponse } from './http.js';
import { headerValue, parseContentType, withHttpClient } from './http.js';
import { probeHls } from './hls.js';
import { describeStart } from './jpeg.js';
import { probeMjpeg } from './mjpeg.js';
import { probeSnapshot } from './snapshot.js';
import { ProbeError } from '../util/errors.js';
import { redactText } from '../util/redact.js';

type Handler = 'mjpeg' | 'jpeg' | 'hls';

const HLS_TYPES = new Set(['application/vnd.apple.mpegurl', 'application/x-mpegurl', 'audio/mpegurl', 'audio/x-mpegurl']);
const ACCEPT: Record<HttpKind, string> = {
  auto: '*/*',
  mjpeg: 'multipart/x-mixed-replace, image/jpeg;q=0.9, */*;q=0.5',
  jpeg: 'image/jpeg, image/*;q=0.9, */*;q=0.5',
  hls: 'application/vnd.apple.mpegurl, application/x-mpegurl;q=0.9, */*;q=0.5',
};

export const probeHttp: ProtocolProbe = (ctx) => {
  ctx.facts.protocol = guessFromUrl(ctx);
  return withHttpClient(ctx, (client) => client.get(ctx.url, (res) => dispatch(ctx, res, client), ACCEPT[ctx.kind]));
};

/** Until the camera answers, the stream's kind or its URL is our best knowledge of the protocol. */
function guessFromUrl(ctx: ProbeContext): Protocol {
  if (ctx.kind !== 'auto') return ctx.kind;
  const path = ctx.url.pathname.toLowerCase();
  if (path.endsWith('.m3u8')) return 'hls';
  if (/\.(jpe?g)$|snapshot|snap\.cgi|still/.test(path)) return 'jpeg';
  return 'mjpeg';
}

async function dispatch(ctx: ProbeContext, res: HttpResponse, client: HttpClient): Promise<Outcome> {
  const contentType = headerValue(res.headers, 'content-type');
  const { type, params } = parseContentType(contentType);
  if (type === 'text/html' || type === 'application/xhtml+xml') {
    return htmlOutcome(ctx, res.status, (await firstBytes(res))?.toString('utf8') ?? '');
  }
  let handler: Handler | undefined = ctx.kind === 'auto' ? byContentType(type, res.url) : ctx.kind;
  let boundary = params['boundary'];
  if (handler === undefined || (handler === 'mjpeg' && !boundary)) {
    const sniffed = await sniff(ctx, res);
    if ('outcome' in sniffed) return sniffed.outcome;
    // The bytes win over a forced `mjpeg` too: a camera that answers an MJPEG URL with one
    // JPEG still shows a picture, and the protocol fact says what it really spoke.
    handler = sniffed.handler;
    boundary ??= sniffed.boundary;
  }
  ctx.facts.protocol = handler;
  switch (handler) {
    case 'mjpeg':
      return probeMjpeg(ctx, res, boundary);
    case 'jpeg':
      return probeSnapshot(ctx, res);
    case 'hls':
      return probeHls(ctx, res, client);
  }
}

function byContentType(type: string, url: URL): Handler | undefined {
  if (type.startsWith('multipart/')) return 'mjpeg';
  if (type.startsWith('image/')) return 'jpeg';
  if (HLS_TYPES.has(type)) return 'hls';
  // Plain web servers often serve .m3u8 as text/plain or application/octet-stream.
  if (url.pathname.toLowerCase().endsWith('.m3u8')) return 'hls';
  return undefined;
}

/** Decides from the first bytes when the Content-Type does not (or is missing or generic). */
async function sniff(
  ctx: ProbeContext,
  res: HttpResponse,
): Promise<{ handler: Handler; boundary?: string } | { outcome: Outcome }> {
  const data = await firstBytes(res);
  if (data === undefined) return { outcome: { code: 'no_frame', message: 'camera sent response headers but no data before the deadline' } };
  res.body.unshift(data);
  if (data.length === 0) return { outcome: { code: 'bad_frame', message: `camera answered ${res.status} with an empty body` } };
  const text = data.toString('latin1');
  if (data[0] === 0xff && data[1] === 0xd8) return { handler: 'jpeg' };
  if (text.replace(/^\uFEFF/, '').startsWith('#EXTM3U')) return { handler: 'hls' };
  const dashes = /^\s*--(\S+)\r?\n/.exec(text);
  if (dashes?.[1]) return { handler: 'mjpeg', boundary: dashes[1] };
  if (/^\s*</.test(text) && /<(!doctype html|html|head|body|script|title)\b/i.test(text)) return { outcome: htmlOutcome(ctx, res.status, text) };
  const type = headerValue(res.headers, 'content-type') ?? 'no Content-Type';
  const what = /^text\//i.test(type) ? `${type} text instead of video` : `content that is neither MJPEG, JPEG nor HLS (${type})`;
  return { outcome: { code: 'bad_frame', message: clean(ctx, `camera answered ${res.status} with ${what}: starts with ${describeStart(data)}`) } };
}

/**
 * The first chunk of the body (empty when the body is empty), or undefined when nothing came
 * before the deadline: one chunk, so a stalled stream costs no more waiting than it must.
 */
async function firstBytes(res: HttpResponse): Promise<Buffer | undefined> {
  try {
    return (await res.body.read()) ?? Buffer.alloc(0);
  } catch (err) {
    if (err instanceof ProbeError && err.code === 'timeout') return undefined;
    throw err;
  }
}

/** The HTML verdict, with the page's <title> when it has one (it often says "Login"). */
function htmlOutcome(ctx: ProbeContext, status: number, text: string): Outcome {
  const title = /<title[^>]*>([^<]{1,80})/i.exec(text)?.[1]?.replace(/\s+/g, ' ').trim();
  const named = title ? ` titled ${JSON.stringify(title)}` : '';
  return { code: 'bad_frame', message: clean(ctx, `camera answered ${status} with an HTML page${named} (a login page?) instead of video`) };
}

function clean(ctx: ProbeContext, text: string): string {
  return redactText(text, [ctx.credentials?.password]);
}
