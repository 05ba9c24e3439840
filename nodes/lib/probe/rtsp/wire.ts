/**
 * RTSP/1.0 wire framing for one connection: the byte stream a camera sends mixes responses,
 * requests of its own (keep-alive GET_PARAMETER, ANNOUNCE) and `$`-framed interleaved RTP/RTCP
 * (RFC 2326 §10.12, https://www.rfc-editor.org/rfc/rfc2326#section-10.12). This parser splits them
 * and refuses anything else, with limits so a hostile peer cannot make us buffer without end.
 */
import { ProbeError } from '../../util/errors.js';

/** A response or a request from the server: start line, headers (lower-case names), body. */
export interface RtspMessage {
  /** `RTSP/1.0 200 OK` → status 200; for a server request status is 0 and `method` is set. */
  status: number;
  reason: string;
  method?: string;
  headers: Map<string, string[]>;
  body: Buffer;
}

export interface WireEvents {
  message(msg: RtspMessage): void;
  frame(channel: number, payload: Buffer): void;
}

/** Longest head (start line + headers) we accept; cameras send a few hundred bytes. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Longest body (an SDP) we accept. */
export const MAX_BODY_BYTES = 1024 * 1024;

const DOLLAR = 0x24;
const NO_BODY = Buffer.alloc(0);
const METHOD_LINE = /^([A-Z_]+) (\S+) RTSP\/\d\.\d$/;
const STATUS_LINE = /^RTSP\/\d\.\d (\d{3})(?: (.*))?$/;

export class RtspWireParser {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly events: WireEvents) {}

  /**
   * Feeds received bytes; throws ProbeError('protocol_error') on bytes that are not RTSP.
   * `borrowed`: the caller reuses the chunk's memory once this returns, so an unparsed tail that
   * still points into it is copied. Everything handed to the events is only valid during the call.
   */
  push(chunk: Buffer, borrowed = false): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const used = this.next();
      if (used === 0) break;
      this.buf = this.buf.subarray(used);
    }
    if (borrowed && this.buf.length > 0 && this.buf.buffer === chunk.buffer) this.buf = Buffer.from(this.buf);
  }

  /** Parses one unit at the head of the buffer and returns the bytes it used (0 = need more). */
  private next(): number {
    const buf = this.buf;
    if (buf.length === 0) return 0;
    if (buf[0] === DOLLAR) {
      if (buf.length < 4) return 0;
      const length = buf.readUInt16BE(2);
      if (buf.length < 4 + length) return 0;
      this.events.frame(buf[1] ?? 0, buf.subarray(4, 4 + length));
      return 4 + length;
    }
    // Some servers put blank lines between messages.
    if (buf[0] === 0x0d || buf[0] === 0x0a) return 1;
    if (!looksLikeStartLine(buf)) {
      throw new ProbeError('protocol_error', `server sent ${describeBytes(buf)} instead of an RTSP message`);
    }
    const headEnd = findHeadEnd(buf);
    if (headEnd === undefined) {
      if (buf.length > MAX_HEAD_BYTES) {
        throw new ProbeError('protocol_error', `RTSP message head longer than ${MAX_HEAD_BYTES / 1024} KiB`);
      }
      return 0;
    }
    const msg = parseHead(buf.subarray(0, headEnd.start).toString('latin1'));
    const length = Number(header(msg.headers, 'content-length') ?? '0');
    if (!Number.isInteger(length) || length < 0 || length > MAX_BODY_BYTES) {
      throw new ProbeError('protocol_error', `unacceptable Content-Length ${header(msg.headers, 'content-length')}`);
    }
    if (buf.length < headEnd.end + length) return 0;
    msg.body = Buffer.from(buf.subarray(headEnd.end, headEnd.end + length));
    this.events.message(msg);
    return headEnd.end + length;
  }
}

/** The first value of a header, by lower-case name. */
export function header(headers: Map<string, string[]>, name: string): string | undefined {
  return headers.get(name)?.[0];
}

function looksLikeStartLine(buf: Buffer): boolean {
  const probe = buf.subarray(0, 16).toString('latin1');
  if ('RTSP/'.startsWith(probe) || probe.startsWith('RTSP/')) return true;
  // A server request starts with an upper-case method name followed by a space.
  return /^[A-Z_]{1,15}( |$)/.test(probe);
}

function findHeadEnd(buf: Buffer): { start: number; end: number } | undefined {
  const limit = Math.min(buf.length, MAX_HEAD_BYTES + 4);
  for (let i = 0; i < limit - 1; i++) {
    if (buf[i] !== 0x0a) continue;
    // \n\n or \n\r\n ends the head (RFC 2326 allows CRLF, CR or LF line ends; cameras use both).
    if (buf[i + 1] === 0x0a) return { start: i, end: i + 2 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return { start: i, end: i + 3 };
  }
  return undefined;
}

function parseHead(text: string): RtspMessage {
  // Split on LF only: every value is trimmed below, which drops the CR of a CRLF line end.
  const lines = text.split('\n');
  const start = (lines.shift() ?? '').trim();
  const msg: RtspMessage = { status: 0, reason: '', headers: new Map(), body: NO_BODY };
  const status = STATUS_LINE.exec(start);
  const request = status ? null : METHOD_LINE.exec(start);
  if (status) {
    msg.status = Number(status[1]);
    msg.reason = status[2] ?? '';
  } else if (request) {
    msg.method = request[1];
  } else {
    throw new ProbeError('protocol_error', `malformed RTSP start line "${start.slice(0, 80)}"`);
  }
  let last: string | undefined;
  for (const line of lines) {
    const first = line.charCodeAt(0);
    if ((first === 0x20 || first === 0x09) && last !== undefined) {
      // Obsolete line folding: append to the previous header value.
      const values = msg.headers.get(last);
      if (values && values.length > 0) values[values.length - 1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    const values = msg.headers.get(last) ?? [];
    values.push(line.slice(colon + 1).trim());
    msg.headers.set(last, values);
  }
  return msg;
}

function describeBytes(buf: Buffer): string {
  const head = buf.subarray(0, 12);
  const printable = /^[\x20-\x7e]+$/.test(head.toString('latin1'));
  return printable ? `"${head.toString('latin1')}…"` : `bytes ${head.toString('hex')}`;
}
