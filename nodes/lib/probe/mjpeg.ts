/**
 * MJPEG over HTTP: a `multipart/x-mixed-replace` body (RFC 2046 §5.1,
 * https://www.rfc-editor.org/rfc/rfc2046#section-5.1) whose parts are JPEGs. We read to the first
 * whole JPEG and stop. Cameras disagree on the details, so we accept a boundary parameter with or
 * without the leading `--`, quoted or not, parts with or without Content-Length, LF or CRLF.
 */
import type { Outcome, ProbeContext } from './types.js';
import type { HttpResponse } from './http.js';
import { headerValue, parseContentType } from './http.js';
import { describeStart, findJpegEnd, isBrokenJpeg } from './jpeg.js';
import { judgeJpeg } from './snapshot.js';
import type { FrameRead } from './snapshot.js';
import { ProbeError } from '../util/errors.js';
import { redactText } from '../util/redact.js';

/** Bytes we read looking for the first boundary before calling the stream broken. */
export const BOUNDARY_SEARCH_BYTES = 2 * 1024 * 1024;
/** Largest part headers we accept. */
const PART_HEADERS_LIMIT = 16 * 1024;
/** Largest frame we accept (a 4K MJPEG frame is a few MB). */
const FRAME_LIMIT = 16 * 1024 * 1024;

/** Why reading stopped without a frame; turned into an Outcome or a ProbeError by the caller. */
class Verdict extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.message);
  }
}

/**
 * Reads to the first whole JPEG of a multipart stream. `boundaryOverride` is for streams whose
 * Content-Type lacks the boundary parameter (the caller sniffed it from the first line).
 */
export async function probeMjpeg(ctx: ProbeContext, response: HttpResponse, boundaryOverride?: string): Promise<Outcome> {
  const frame = await readMjpegFrame(ctx, response, boundaryOverride);
  return 'outcome' in frame ? frame.outcome : judgeJpeg(ctx, frame.jpeg, 'MJPEG', frame.bytesRead);
}

/**
 * The first whole JPEG of a multipart stream, not yet judged (the probe judges it; the
 * dashboard's preview sends it), or the verdict when there is none. Closes the body.
 */
export async function readMjpegFrame(ctx: ProbeContext, response: HttpResponse, boundaryOverride?: string): Promise<FrameRead> {
  const { body } = response;
  let buf: Buffer = Buffer.alloc(0);
  let inFrame = false;
  const clean = (text: string): string => redactText(text, [ctx.credentials?.password]);

  /** Reads one more chunk into `buf`; a deadline or a closed stream becomes a Verdict. */
  const more = async (): Promise<void> => {
    let chunk: Buffer | undefined;
    try {
      chunk = await body.read();
    } catch (err) {
      if (err instanceof ProbeError && err.code === 'timeout') {
        throw new Verdict({ code: 'no_frame', message: `no whole JPEG before the deadline (${body.bytesRead} bytes of stream received)` });
      }
      if (inFrame && err instanceof ProbeError && err.code === 'protocol_error') {
        throw new Verdict({ code: 'bad_frame', message: `truncated JPEG: the camera closed the stream mid-frame (${clean(err.message)})` });
      }
      throw err;
    }
    if (!chunk) {
      const where = inFrame ? 'truncated JPEG: the stream ended mid-frame' : 'the MJPEG stream ended before a whole frame';
      throw new Verdict({ code: inFrame ? 'bad_frame' : 'no_frame', message: `${where} (${body.bytesRead} bytes received)` });
    }
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
  };

  try {
    const boundary = parseContentType(headerValue(response.headers, 'content-type')).params['boundary'] ?? boundaryOverride;
    if (!boundary) return { outcome: { code: 'protocol_error', message: 'multipart/x-mixed-replace without a boundary parameter' } };
    // `boundary=--abc` with `--abc` in the body and `boundary=abc` with `--abc` both occur:
    // searching for the token without its dashes finds either.
    const token = Buffer.from(boundary.replace(/^-+/, '') || boundary, 'latin1');

    let at = buf.indexOf(token);
    while (at < 0) {
      if (buf.length > BOUNDARY_SEARCH_BYTES) {
        return { outcome: { code: 'protocol_error', message: clean(`boundary "${boundary}" not found in the first ${BOUNDARY_SEARCH_BYTES / 1024 / 1024} MB of the stream`) } };
      }
      await more();
      at = buf.indexOf(token);
    }

    // The rest of the boundary line, then part headers up to an empty line.
    let pos = at + token.length;
    const headers = new Map<string, string>();
    let line: string | undefined;
    let first = true;
    for (;;) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) {
        if (buf.length - pos > PART_HEADERS_LIMIT) return { outcome: { code: 'protocol_error', message: 'MJPEG part headers longer than 16 KB' } };
        await more();
        continue;
      }
      line = buf.subarray(pos, nl).toString('latin1').trim();
      pos = nl + 1;
      if (first) {
        first = false; // the remainder of the boundary line (`--`, transport padding)
        continue;
      }
      if (line === '') break;
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }

    inFrame = true;
    const start = pos;
    while (buf.length < start + 2) await more();
    if (buf[start] !== 0xff || buf[start + 1] !== 0xd8) {
      const type = headers.get('content-type') ?? 'no Content-Type';
      return { outcome: { code: 'bad_frame', message: clean(`MJPEG part (${type}) is not a JPEG: starts with ${describeStart(buf.subarray(start))}`) } };
    }

    const declared = Number(headers.get('content-length'));
    let jpeg: Buffer;
    if (Number.isSafeInteger(declared) && declared > 0 && declared <= FRAME_LIMIT) {
      while (buf.length < start + declared) await more();
      // Some cameras count the part's trailing CRLF, or pad: the JPEG ends at its own EOI.
      const declaredPart = buf.subarray(0, start + declared);
      jpeg = declaredPart.subarray(start, findJpegEnd(declaredPart, start) ?? declaredPart.length);
    } else {
      jpeg = await readToEoi(start, () => buf, more, token);
    }
    return { jpeg, bytesRead: body.bytesRead };
  } catch (err) {
    if (err instanceof Verdict) return { outcome: err.outcome };
    throw err;
  } finally {
    body.destroy();
  }
}

/** Without Content-Length the JPEG's own structure says where it ends. */
async function readToEoi(start: number, current: () => Buffer, more: () => Promise<void>, token: Buffer): Promise<Buffer> {
  for (;;) {
    const buf = current();
    const end = findJpegEnd(buf, start);
    if (end !== undefined) return buf.subarray(start, end);
    if (isBrokenJpeg(buf, start)) return buf.subarray(start); // judgeJpeg names the damage
    if (buf.indexOf(token, start) >= 0) {
      throw new Verdict({ code: 'bad_frame', message: 'truncated JPEG: the next part began before EOI' });
    }
    if (buf.length - start > FRAME_LIMIT) {
      throw new Verdict({ code: 'bad_frame', message: `MJPEG frame larger than ${FRAME_LIMIT / 1024 / 1024} MB without EOI` });
    }
    await more();
  }
}
