/**
 * Fragmented MP4 (ISO/IEC 14496-12 boxes) as HLS uses it (RFC 8216 §3.3,
 * https://www.rfc-editor.org/rfc/rfc8216#section-3.3): recognise a media segment by its first
 * box, and read the video sample entry (codec and size) from an init segment. Pure.
 */

/** Boxes a media or init segment may start with. */
const FIRST_BOXES = new Set(['ftyp', 'styp', 'moof', 'sidx', 'emsg', 'prft', 'moov']);
/** Boxes whose payload is only more boxes, on the way from moov to stsd. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);
const VIDEO_ENTRIES: Record<string, string> = {
  avc1: 'H.264', avc3: 'H.264', hvc1: 'H.265', hev1: 'H.265', av01: 'AV1', vp09: 'VP9', mp4v: 'MPEG-4',
};

interface Box {
  type: string;
  start: number;
  /** Payload start and end (end clipped to the buffer). */
  body: number;
  end: number;
}

function* boxes(buf: Buffer, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) return;
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = to - at; // box runs to the end of its parent
    }
    if (size < header) return;
    yield { type: buf.toString('latin1', at + 4, at + 8), start: at, body: at + header, end: Math.min(to, at + size) };
    at += size;
  }
}

/** True when `buf` starts with a box an fMP4 segment starts with. */
export function isFmp4(buf: Buffer): boolean {
  if (buf.length < 8) return false;
  const first = boxes(buf, 0, buf.length).next();
  return !first.done && FIRST_BOXES.has(first.value.type);
}

export interface Fmp4Video {
  codec: string;
  width: number;
  height: number;
}

/** The first video sample entry under moov/trak/mdia/minf/stbl/stsd, when the buffer holds it. */
export function findFmp4Video(buf: Buffer, from = 0, to = buf.length): Fmp4Video | undefined {
  for (const box of boxes(buf, from, to)) {
    if (CONTAINERS.has(box.type)) {
      const found = findFmp4Video(buf, box.body, box.end);
      if (found) return found;
    } else if (box.type === 'stsd') {
      // stsd: version+flags (4), entry_count (4), then sample entries.
      for (const entry of boxes(buf, box.body + 8, box.end)) {
        const codec = VIDEO_ENTRIES[entry.type];
        // VisualSampleEntry: 6 reserved, data_reference_index, 16 bytes pre_defined/reserved,
        // then width and height (ISO/IEC 14496-12 §12.1.3).
        if (codec && entry.body + 28 <= entry.end) {
          return { codec, width: buf.readUInt16BE(entry.body + 24), height: buf.readUInt16BE(entry.body + 26) };
        }
      }
    }
  }
  return undefined;
}
