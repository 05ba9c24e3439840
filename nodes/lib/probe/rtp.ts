/**
 * RTP fixed header parsing (RFC 3550 §5.1, https://www.rfc-editor.org/rfc/rfc3550#section-5.1)
 * and telling RTCP apart from RTP when both share a channel (RFC 5761 §4).
 */

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  /** 16-bit sequence number; wraps at 65535. */
  sequence: number;
  timestamp: number;
  ssrc: number;
  /** The payload without header, CSRC list, extension or padding (a view, not a copy). */
  payload: Buffer;
}

const FIXED_HEADER = 12;

/**
 * Parses one RTP packet. Anything that is not a well-formed RTP version 2 packet (too short,
 * CSRC list or extension running past the end, padding count larger than the payload) gives
 * undefined: a camera that sends garbage must not crash the probe.
 */
export function parseRtp(buf: Buffer): RtpPacket | undefined {
  if (buf.length < FIXED_HEADER) return undefined;
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  if (b0 >> 6 !== 2) return undefined;
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;

  let offset = FIXED_HEADER + 4 * csrcCount;
  if (hasExtension) {
    // Header extension (§5.3.1): 16-bit profile field, 16-bit length in 32-bit words.
    if (buf.length < offset + 4) return undefined;
    offset += 4 + 4 * buf.readUInt16BE(offset + 2);
  }
  let end = buf.length;
  if (hasPadding) {
    // The last octet counts the padding octets, itself included (§5.1 P bit), so it is >= 1.
    const padding = buf[buf.length - 1] as number;
    if (padding === 0) return undefined;
    end -= padding;
  }
  if (end < offset) return undefined;

  return {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(offset, end),
  };
}

/**
 * True when the packet is RTCP rather than RTP. RTCP packet types 192..223 occupy the byte where
 * RTP keeps marker + payload type (SR = 200, RR = 201, SDES = 202, BYE = 203, APP = 204, and the
 * feedback/XR types 205..207); RFC 5761 §4 forbids RTP payload types 64..95 so the ranges never
 * meet.
 */
export function isRtcp(buf: Buffer): boolean {
  if (buf.length < 4 || (buf[0] as number) >> 6 !== 2) return false;
  const type = buf[1] as number;
  return type >= 192 && type <= 223;
}

/** Signed distance from `a` to `b` in 16-bit sequence space (RFC 3550 Appendix A.1). */
export function sequenceDelta(a: number, b: number): number {
  const d = (b - a) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}
