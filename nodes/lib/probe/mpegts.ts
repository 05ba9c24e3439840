/**
 * The start of an MPEG-TS segment (ISO/IEC 13818-1, https://www.itu.int/rec/T-REC-H.222.0):
 * 188-byte packets, PAT (PID 0) → PMT → the video elementary stream, whose first PES payloads
 * carry the SPS we read the picture size from. Pure: buffer in, facts out.
 */
import { splitAnnexB } from './annexb.js';
import { parseH264Sps } from './h264.js';
import { parseH265Sps } from './h265.js';

const PACKET = 188;
const SYNC = 0x47;

/** ISO/IEC 13818-1 Table 2-34 stream_type values (plus the ATSC/ETSI ones cameras use). */
const VIDEO_TYPES: Record<number, string> = { 0x01: 'MPEG-1', 0x02: 'MPEG-2', 0x10: 'MPEG-4', 0x1b: 'H.264', 0x24: 'H.265' };
const AUDIO_TYPES: Record<number, string> = { 0x03: 'MP3', 0x04: 'MP3', 0x0f: 'AAC', 0x11: 'AAC', 0x81: 'AC-3', 0x87: 'E-AC-3' };

export interface TsInfo {
  /** Absent when the PMT lists no video stream. */
  videoCodec?: string;
  streamType?: number;
  audio?: string;
  width?: number;
  height?: number;
  fps?: number;
  /** An IDR (H.264) / IRAP (H.265) NAL unit was among the video bytes read. */
  keyframe: boolean;
  /** Bytes of video elementary stream that were looked at. */
  videoBytes: number;
}

/** True when `buf` starts like a transport stream: sync bytes at 0, 188 and 376 (as far as present). */
export function isMpegTs(buf: Buffer): boolean {
  if (buf.length < 4 || buf[0] !== SYNC) return false;
  for (let at = PACKET; at < Math.min(buf.length, 3 * PACKET); at += PACKET) {
    if (buf[at] !== SYNC) return false;
  }
  return true;
}

interface Packet {
  pid: number;
  start: boolean;
  payload: Buffer;
}

function* packets(buf: Buffer): Generator<Packet> {
  for (let at = 0; at + PACKET <= buf.length; at += PACKET) {
    if (buf[at] !== SYNC) return; // lost sync: stop rather than read garbage
    const b1 = buf[at + 1] ?? 0;
    const afc = ((buf[at + 3] ?? 0) >> 4) & 0x03;
    let offset = at + 4;
    if (afc & 0x02) offset += 1 + (buf[at + 4] ?? 0);
    if (!(afc & 0x01) || offset >= at + PACKET) continue;
    yield { pid: ((b1 & 0x1f) << 8) | (buf[at + 2] ?? 0), start: (b1 & 0x40) !== 0, payload: buf.subarray(offset, at + PACKET) };
  }
}

/** The section of a PSI packet (after pointer_field), or undefined when it does not start here. */
function section(p: Packet): Buffer | undefined {
  if (!p.start || p.payload.length < 1) return undefined;
  const start = 1 + (p.payload[0] ?? 0);
  const body = p.payload.subarray(start);
  if (body.length < 3) return undefined;
  const length = ((body[1] ?? 0) & 0x0f) << 8 | (body[2] ?? 0);
  // Sections longer than one packet are legal but PAT/PMT of a camera never are; cut at CRC.
  return body.subarray(0, Math.min(body.length, 3 + length - 4));
}

/** Parses the first packets of a segment. An error says why the bytes are not a usable TS. */
export function parseTsSegment(buf: Buffer): TsInfo | { error: string } {
  if (!isMpegTs(buf)) return { error: 'not an MPEG-TS stream (no 0x47 sync every 188 bytes)' };
  const pmtPids = new Set<number>();
  let video: { pid: number; type: number } | undefined;
  let audio: string | undefined;
  let pmtSeen = false;
  const es: Buffer[] = [];
  for (const p of packets(buf)) {
    if (p.pid === 0 && pmtPids.size === 0) {
      const s = section(p);
      if (!s || s[0] !== 0x00) continue;
      for (let i = 8; i + 4 <= s.length; i += 4) {
        const program = s.readUInt16BE(i);
        if (program !== 0) pmtPids.add(s.readUInt16BE(i + 2) & 0x1fff); // program 0 is the NIT
      }
    } else if (pmtPids.has(p.pid) && !pmtSeen) {
      const s = section(p);
      if (!s || s[0] !== 0x02 || s.length < 12) continue;
      pmtSeen = true;
      let i = 12 + (s.readUInt16BE(10) & 0x0fff);
      while (i + 5 <= s.length) {
        const type = s[i] ?? 0;
        const pid = s.readUInt16BE(i + 1) & 0x1fff;
        if (VIDEO_TYPES[type] !== undefined) video ??= { pid, type };
        audio ??= AUDIO_TYPES[type];
        i += 5 + (s.readUInt16BE(i + 3) & 0x0fff);
      }
    } else if (video && p.pid === video.pid) {
      es.push(p.start ? pesPayload(p.payload) : p.payload);
    }
  }
  if (pmtPids.size === 0) return { error: 'MPEG-TS without a PAT in the bytes read' };
  if (!pmtSeen) return { error: 'MPEG-TS without a PMT in the bytes read' };
  const base = { keyframe: false, videoBytes: 0, ...(audio ? { audio } : {}) };
  if (!video) return base;
  const stream = Buffer.concat(es);
  return { ...base, ...describeVideo(video.type, stream), videoCodec: VIDEO_TYPES[video.type] ?? 'unknown', streamType: video.type, videoBytes: stream.length };
}

/** Strips the PES header (§2.4.3.6) from the first packet of a PES packet. */
function pesPayload(payload: Buffer): Buffer {
  if (payload.length < 9 || payload[0] !== 0 || payload[1] !== 0 || payload[2] !== 1) return Buffer.alloc(0);
  return payload.subarray(Math.min(payload.length, 9 + (payload[8] ?? 0)));
}

/** Size and keyframe presence from the Annex B video bytes (H.264 and H.265 only). */
function describeVideo(type: number, stream: Buffer): Partial<TsInfo> & { keyframe: boolean } {
  if (type !== 0x1b && type !== 0x24) return { keyframe: false };
  const hevc = type === 0x24;
  const out: Partial<TsInfo> & { keyframe: boolean } = { keyframe: false };
  for (const nal of splitAnnexB(stream)) {
    const nalType = hevc ? ((nal[0] ?? 0) >> 1) & 0x3f : (nal[0] ?? 0) & 0x1f;
    if (hevc ? nalType >= 16 && nalType <= 23 : nalType === 5) out.keyframe = true;
    if (out.width === undefined && nalType === (hevc ? 33 : 7)) {
      const sps = hevc ? parseH265Sps(nal) : parseH264Sps(nal);
      if (sps) {
        out.width = sps.width;
        out.height = sps.height;
        if (sps.fps !== undefined) out.fps = sps.fps;
      }
    }
  }
  return out;
}
