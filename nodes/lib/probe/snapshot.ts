/**
 * JPEG snapshot URLs (`/snapshot.jpg`, `/cgi-bin/snapshot.cgi`): one JPEG per response. Also the
 * verdict shared with MJPEG: a whole JPEG with a frame header is `ok`, a JPEG identical to the
 * previous probe's is `frozen`, anything else is `bad_frame`.
 */
import { createHash } from 'node:crypto';
import type { Outcome, ProbeContext } from './types.js';
import type { HttpResponse } from './http.js';
import { parseJpeg } from './jpeg.js';
import { ProbeError } from '../util/errors.js';
import { redactText } from '../util/redact.js';

/** Largest snapshot we read; a 4K JPEG is a few MB. */
export const SNAPSHOT_LIMIT_BYTES = 16 * 1024 * 1024;

/** Judges one JPEG (the whole body of a snapshot or one MJPEG part). */
export function judgeJpeg(ctx: ProbeContext, jpeg: Buffer, codec: 'JPEG' | 'MJPEG', mediaBytes: number): Outcome {
  const info = parseJpeg(jpeg);
  if ('error' in info) {
    return { code: 'bad_frame', message: redactText(info.error, [ctx.credentials?.password]) };
  }
  ctx.mark('firstFrameMs');
  ctx.facts.media = { ...ctx.facts.media, codec, width: info.width, height: info.height };
  const frameDigest = createHash('sha1').update(jpeg).digest('hex');
  const evidence = { level: 'keyframe' as const, mediaBytes, frameDigest };
  const size = `${info.width}x${info.height}`;
  if (ctx.previous?.frameDigest === frameDigest) {
    return {
      code: 'frozen',
      message: `picture frozen: the ${size} ${codec} frame is byte-identical to the previous probe's`,
      evidence,
    };
  }
  const kb = Math.max(1, Math.round(jpeg.length / 1024));
  return { code: 'ok', message: `${codec} ${size}${info.progressive ? ' progressive' : ''} frame received (${kb} KB)`, evidence };
}

/** A whole JPEG as read (not yet judged), or the verdict when none could be read. */
export type FrameRead = { jpeg: Buffer; bytesRead: number } | { outcome: Outcome };

export async function probeSnapshot(ctx: ProbeContext, response: HttpResponse): Promise<Outcome> {
  const frame = await readSnapshot(response);
  return 'outcome' in frame ? frame.outcome : judgeJpeg(ctx, frame.jpeg, 'JPEG', frame.bytesRead);
}

/** The whole body of a snapshot response (the dashboard's preview sends it as is). */
export async function readSnapshot(response: HttpResponse): Promise<FrameRead> {
  const { body } = response;
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    let chunk: Buffer | undefined;
    try {
      chunk = await body.read();
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      if (err.code === 'timeout') {
        return { outcome: { code: 'no_frame', message: `the snapshot did not arrive completely before the deadline (${size} bytes received)` } };
      }
      // The camera hung up mid-body: what we have is a cut JPEG, which the verdict names.
      if (err.code === 'protocol_error' && size > 0) break;
      throw err;
    }
    if (!chunk) break;
    size += chunk.length;
    if (size > SNAPSHOT_LIMIT_BYTES) {
      return { outcome: { code: 'bad_frame', message: `snapshot larger than ${SNAPSHOT_LIMIT_BYTES / 1024 / 1024} MB` } };
    }
    parts.push(chunk);
  }
  if (size === 0) return { outcome: { code: 'bad_frame', message: `${response.url.host} answered ${response.status} with an empty body` } };
  return { jpeg: Buffer.concat(parts, size), bytesRead: size };
}
