/**
 * Turns the RTP packets of one video track into evidence: the first packet that really carries
 * video (`packet` level), then a whole keyframe access unit with its size and digest (`keyframe`
 * level). H.264 follows RFC 6184 (https://www.rfc-editor.org/rfc/rfc6184#section-5.7), H.265
 * RFC 7798 (https://www.rfc-editor.org/rfc/rfc7798#section-4.4); other codecs count whole frames.
 *
 * "Whole" is meant strictly, because a probe is honest: an access unit with a sequence gap, a
 * fragment whose start or end is missing, or a first slice that does not begin the picture (we
 * joined mid-frame) is dropped, never reported as a keyframe.
 */
import { createHash } from 'node:crypto';
import { H264_NAL, h264NalType, isH264Vcl, isValidH264Header, parseH264Sps } from './h264.js';
import { H265_NAL, h265NalType, isH265Irap, isH265Vcl, isValidH265Header, parseH265Sps } from './h265.js';
import { sequenceDelta } from './rtp.js';
import type { RtpPacket } from './rtp.js';

export interface DepacketizerOptions {
  /** Upper-case encoding name from the SDP (H264, H265, JPEG, ...). */
  codec: string;
  payloadType: number;
  /** Out-of-band parameter sets (sprop-*), used for the size until one arrives in-band. */
  parameterSets: Buffer[];
  /** H.265 only: payloads carry DONL/DOND fields (sprop-max-don-diff > 0, RFC 7798 §4.4). */
  donl?: boolean;
  /** Access units larger than this are dropped (default 16 MB): a camera must not exhaust memory. */
  maxAccessUnitBytes?: number;
}

export interface KeyframeEvent {
  kind: 'keyframe';
  /** Bytes of all NAL units of the access unit (for other codecs: of the frame's payloads). */
  bytes: number;
  /** SHA-1 (hex) of the VCL NAL units, each prefixed by its 4-byte length, in decode order. */
  digest: string;
  width?: number;
  height?: number;
  fps?: number;
}

/**
 * `packet` once, for the first packet of the track whose payload has a valid NAL header; then
 * `keyframe` for every whole keyframe. A push returns one event: when the same packet completes
 * a keyframe too, the keyframe (which implies the packet level) wins.
 */
export type DepacketizerEvent = { kind: 'packet' } | KeyframeEvent;

export const MAX_ACCESS_UNIT_BYTES = 16 * 1024 * 1024;
const MAX_MISORDER = 100;

type Family = 'h264' | 'h265' | 'other';

interface AccessUnit {
  timestamp: number;
  nals: Buffer[];
  bytes: number;
  /** Cannot yield a keyframe any more (see drop()). */
  broken: boolean;
  /** A fragmented NAL unit being reassembled: its rebuilt header and the parts so far. */
  fragment?: Buffer[];
}

export interface VideoSize {
  width: number;
  height: number;
  fps?: number;
}

export class VideoDepacketizer {
  private readonly family: Family;
  private readonly payloadType: number;
  private readonly donl: boolean;
  private readonly isJpeg: boolean;
  private readonly maxBytes: number;
  private packets = 0;
  private payloadBytes = 0;
  private reportedPacket = false;
  private ssrc: number | undefined;
  private expectedSequence: number | undefined;
  private au: AccessUnit | undefined;
  /** Other codecs: whether the previous packet closed a frame, so the next one starts one. */
  private atFrameStart = false;
  private sps: Buffer | undefined;
  private size: VideoSize | undefined;

  constructor(options: DepacketizerOptions) {
    const codec = options.codec.toUpperCase();
    this.family = codec === 'H264' ? 'h264' : codec === 'H265' ? 'h265' : 'other';
    this.isJpeg = codec === 'JPEG';
    this.payloadType = options.payloadType;
    this.donl = options.donl === true;
    this.maxBytes = options.maxAccessUnitBytes ?? MAX_ACCESS_UNIT_BYTES;
    for (const set of options.parameterSets) this.noteParameterSet(set);
  }

  /** Packets of the video payload type pushed so far. */
  get packetsSeen(): number {
    return this.packets;
  }

  /** Payload bytes of those packets: the media cost of the evidence (`Evidence.mediaBytes`). */
  get videoPayloadBytes(): number {
    return this.payloadBytes;
  }

  push(packet: RtpPacket): DepacketizerEvent | undefined {
    if (packet.payloadType !== this.payloadType) return undefined;
    this.packets++;
    this.payloadBytes += packet.payload.length;

    if (this.ssrc !== packet.ssrc) {
      // A new source (camera restarted its encoder): nothing pending belongs to it.
      this.ssrc = packet.ssrc;
      this.expectedSequence = undefined;
      this.au = undefined;
      this.atFrameStart = false;
    }
    let gap = false;
    if (this.expectedSequence !== undefined) {
      const delta = sequenceDelta(this.expectedSequence, packet.sequence);
      // A little behind: late or duplicated (UDP), skip it. Far behind: the sender restarted its
      // numbering (RFC 3550 A.1 MAX_MISORDER), so resynchronise rather than wait for the wrap.
      if (delta < 0 && delta >= -MAX_MISORDER) return undefined;
      gap = delta !== 0;
    }
    this.expectedSequence = (packet.sequence + 1) & 0xffff;

    let event: DepacketizerEvent | undefined;
    if (!this.reportedPacket && this.carriesVideo(packet.payload)) {
      this.reportedPacket = true;
      event = { kind: 'packet' };
    }

    if (this.au && this.au.timestamp !== packet.timestamp) {
      // The timestamp moved on without a marker (lost, or a sender that omits it): the old unit
      // is complete unless the gap may have eaten its tail.
      if (gap) this.au.broken = true;
      event = this.finish(this.au) ?? event;
      this.au = undefined;
      this.atFrameStart = true;
    }
    if (!this.au) {
      if (this.isJpeg && jpegFrameStart(packet.payload)) this.size ??= jpegSize(packet.payload);
      const cleanStart = this.family !== 'other' || this.atFrameStart || jpegFrameStart(packet.payload);
      this.au = { timestamp: packet.timestamp, nals: [], bytes: 0, broken: gap || !cleanStart };
    } else if (gap) {
      this.au.broken = true;
    }
    this.unpack(this.au, packet.payload);
    if (this.au.bytes > this.maxBytes) this.drop(this.au);

    if (packet.marker) {
      event = this.finish(this.au) ?? event;
      this.au = undefined;
      this.atFrameStart = true;
    }
    return event;
  }

  /** The `packet` level: a payload a sender of this codec could have produced. */
  private carriesVideo(payload: Buffer): boolean {
    switch (this.family) {
      case 'h264': {
        const type = h264NalType(payload);
        if (!isValidH264Header(payload[0])) return false;
        if (type === H264_NAL.FU_A) return payload.length > 2 && isH264NalType((payload[1] as number) & 0x1f);
        if (type === H264_NAL.STAP_A) return payload.length > 3;
        return true;
      }
      case 'h265': {
        if (!isValidH265Header(payload)) return false;
        if (h265NalType(payload) === H265_NAL.FU) return payload.length > 3 && ((payload[2] as number) & 0x3f) < 48;
        return true;
      }
      case 'other':
        return payload.length > 0;
    }
  }

  private unpack(au: AccessUnit, payload: Buffer): void {
    switch (this.family) {
      case 'h264':
        return this.unpackH264(au, payload);
      case 'h265':
        return this.unpackH265(au, payload, true);
      case 'other':
        if (!au.broken) this.keep(au, Buffer.from(payload));
        return;
    }
  }

  /** RFC 6184 §5.6 single NAL unit, §5.7.1 STAP-A, §5.8 FU-A. */
  private unpackH264(au: AccessUnit, payload: Buffer): void {
    const type = h264NalType(payload);
    if (!isValidH264Header(payload[0])) return this.drop(au);
    if (type <= 23) return this.addNal(au, payload);
    if (type === H264_NAL.STAP_A) return this.unpackAggregate(au, payload, 1, 0);
    if (type === H264_NAL.FU_A && payload.length > 2) {
      const fu = payload[1] as number;
      const header = ((payload[0] as number) & 0xe0) | (fu & 0x1f);
      return this.fragment(au, fu, Buffer.of(header), payload.subarray(2));
    }
    // STAP-B, MTAP and FU-B belong to interleaved mode, which a probe never negotiates.
    this.drop(au);
  }

  /** RFC 7798 §4.4.1 single NAL unit, §4.4.2 AP, §4.4.3 FU, §4.4.4 PACI. */
  private unpackH265(au: AccessUnit, payload: Buffer, outer: boolean): void {
    if (!isValidH265Header(payload)) return this.drop(au);
    const type = h265NalType(payload);
    if (type < H265_NAL.AP) {
      // With DONL, even a single NAL unit packet carries the 2-byte DONL after its header.
      if (!this.donl) return this.addNal(au, payload);
      return payload.length > 4 ? this.addNal(au, Buffer.concat([payload.subarray(0, 2), payload.subarray(4)])) : this.drop(au);
    }
    if (type === H265_NAL.AP) return this.unpackAggregate(au, payload, this.donl ? 4 : 2, this.donl ? 1 : 0);
    if (type === H265_NAL.FU && payload.length > 3) {
      const fu = payload[2] as number;
      const header = Buffer.of(((payload[0] as number) & 0x81) | ((fu & 0x3f) << 1), payload[1] as number);
      const skip = this.donl && (fu & 0x80) !== 0 ? 5 : 3; // DONL only in the first fragment
      return this.fragment(au, fu, header, payload.subarray(skip));
    }
    if (type === H265_NAL.PACI && outer && payload.length >= 4) {
      // PACI wraps another payload after extension data we do not need (PHES): unwrap it with
      // the header rebuilt from the contained type (cType).
      const cType = ((payload[2] as number) >> 1) & 0x3f;
      const phsSize = (((payload[2] as number) & 0x01) << 4) | ((payload[3] as number) >> 4);
      const inner = payload.subarray(4 + phsSize);
      const header = Buffer.of(((payload[0] as number) & 0x81) | (cType << 1), payload[1] as number);
      return this.unpackH265(au, Buffer.concat([header, inner]), false);
    }
    this.drop(au);
  }

  /** STAP-A / AP: 16-bit size + NAL unit, repeated; `between` skips DOND bytes (H.265 only). */
  private unpackAggregate(au: AccessUnit, payload: Buffer, first: number, between: number): void {
    let offset = first;
    while (offset < payload.length) {
      if (offset + 2 > payload.length) return this.drop(au);
      const size = payload.readUInt16BE(offset);
      offset += 2;
      if (size === 0 || offset + size > payload.length) return this.drop(au);
      this.addNal(au, payload.subarray(offset, offset + size));
      offset += size + between;
    }
  }

  /** FU-A / FU: start (S) and end (E) bits frame one NAL unit over consecutive packets. */
  private fragment(au: AccessUnit, fuHeader: number, header: Buffer, part: Buffer): void {
    if (au.broken) return; // nothing of it is kept, so there is nothing to reassemble
    const start = (fuHeader & 0x80) !== 0;
    const end = (fuHeader & 0x40) !== 0;
    if (start) {
      if (au.fragment) return this.drop(au); // the previous fragmented unit never ended
      if (this.isNonKeySlice(header)) return this.drop(au);
      au.fragment = [header];
    } else if (!au.fragment) {
      return this.drop(au); // we missed the start (joined mid-unit)
    }
    au.fragment.push(Buffer.from(part));
    au.bytes += part.length;
    if (end) {
      const nal = Buffer.concat(au.fragment);
      delete au.fragment;
      au.bytes -= nal.length - header.length;
      this.addNal(au, nal);
    }
  }

  private addNal(au: AccessUnit, nal: Buffer): void {
    if (au.fragment) return this.drop(au); // a NAL unit in the middle of a fragmented one
    this.noteParameterSet(nal);
    if (this.isNonKeySlice(nal)) return this.drop(au);
    if (!au.broken) this.keep(au, Buffer.from(nal));
  }

  /**
   * A slice of a picture that is not a keyframe. All slices of one picture share the IDR / IRAP
   * type (H.264 §7.4.1.2.4, H.265 §7.4.2.4.4), so such an access unit can be let go at once
   * instead of being held in memory to the end: P-frames cost nothing.
   */
  private isNonKeySlice(nal: Buffer): boolean {
    if (this.family === 'h264') {
      const type = h264NalType(nal);
      return isH264Vcl(type) && type !== H264_NAL.IDR_SLICE;
    }
    const type = h265NalType(nal);
    return this.family === 'h265' && isH265Vcl(type) && !isH265Irap(type);
  }

  private keep(au: AccessUnit, data: Buffer): void {
    au.nals.push(data);
    au.bytes += data.length;
  }

  /**
   * Marks the unit as one that cannot become a keyframe (not whole, malformed, or not a key
   * picture) and frees what it held; the rest of it is only scanned for parameter sets.
   */
  private drop(au: AccessUnit): void {
    au.broken = true;
    au.nals = [];
    au.bytes = 0;
    delete au.fragment;
  }

  private noteParameterSet(nal: Buffer): void {
    const isSps =
      this.family === 'h264' ? h264NalType(nal) === H264_NAL.SPS : this.family === 'h265' && h265NalType(nal) === H265_NAL.SPS;
    if (!isSps || (this.sps && this.sps.equals(nal))) return;
    const info = this.family === 'h264' ? parseH264Sps(nal) : parseH265Sps(nal);
    if (!info) return;
    this.sps = Buffer.from(nal);
    this.size = { width: info.width, height: info.height, ...(info.fps !== undefined ? { fps: info.fps } : {}) };
  }

  private finish(au: AccessUnit): KeyframeEvent | undefined {
    if (au.broken || au.fragment || au.nals.length === 0) return undefined;
    if (this.family === 'other') return this.keyframeEvent(au, au.nals);
    const isVcl = this.family === 'h264' ? (n: Buffer) => isH264Vcl(h264NalType(n)) : (n: Buffer) => isH265Vcl(h265NalType(n));
    const vcl = au.nals.filter(isVcl);
    const first = vcl[0];
    if (!first || !startsPicture(this.family, first)) return undefined;
    const isKey =
      this.family === 'h264'
        ? vcl.some((n) => h264NalType(n) === H264_NAL.IDR_SLICE)
        : vcl.some((n) => isH265Irap(h265NalType(n)));
    return isKey ? this.keyframeEvent(au, vcl) : undefined;
  }

  private keyframeEvent(au: AccessUnit, hashed: Buffer[]): KeyframeEvent {
    const hash = createHash('sha1');
    const length = Buffer.alloc(4);
    for (const nal of hashed) {
      length.writeUInt32BE(nal.length);
      hash.update(length).update(nal);
    }
    return { kind: 'keyframe', bytes: au.bytes, digest: hash.digest('hex'), ...this.size };
  }
}

function isH264NalType(type: number): boolean {
  return type >= 1 && type <= 23;
}

/**
 * Whether a slice begins its picture: H.264 first_mb_in_slice == 0 (ue(v) '1', §7.3.3), H.265
 * first_slice_segment_in_pic_flag (§7.3.6.1). Both are the first bit after the NAL header.
 */
function startsPicture(family: 'h264' | 'h265', slice: Buffer): boolean {
  const byte = slice[family === 'h264' ? 1 : 2];
  return byte !== undefined && (byte & 0x80) !== 0;
}

/** RFC 2435 §3.1.2: a JPEG payload with fragment offset 0 is the first of its frame. */
function jpegFrameStart(payload: Buffer): boolean {
  return payload.length >= 8 && payload[1] === 0 && payload[2] === 0 && payload[3] === 0;
}

/** RFC 2435 §3.1: the JPEG main header carries width and height in 8-pixel units (bytes 6 and 7). */
function jpegSize(payload: Buffer): VideoSize | undefined {
  const width = (payload[6] ?? 0) * 8;
  const height = (payload[7] ?? 0) * 8;
  return width > 0 && height > 0 ? { width, height } : undefined;
}
