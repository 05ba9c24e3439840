/**
 * JPEG structure, without decoding: marker segments up to the scan, then the entropy-coded data
 * up to EOI (ITU-T T.81 Annex B, https://www.w3.org/Graphics/JPEG/itu-t81.pdf). Walking segments
 * by their lengths (instead of searching for FF D9) is what keeps an EXIF thumbnail's EOI inside
 * APP1 from ending the frame early.
 */

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** Markers without a length field: TEM, RST0-7, SOI, EOI (T.81 Table B.1). */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9);
}

/** SOFn carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not SOFs. */
function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Progressive (and lossless-progressive) SOFs: SOF2, SOF6, SOF10, SOF14. */
function isProgressive(marker: number): boolean {
  return marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce;
}

interface Sof {
  width: number;
  height: number;
  progressive: boolean;
}

type Walk = { end: number; sof: Sof | undefined } | { need: true } | { error: string };

/** Walks one JPEG that starts with SOI at `start`. */
function walk(buf: Buffer, start: number): Walk {
  if (buf.length < start + 2) return { need: true };
  if (buf[start] !== 0xff || buf[start + 1] !== SOI) return { error: 'no SOI marker' };
  let pos = start + 2;
  let sof: Sof | undefined;
  for (;;) {
    // Segment walk: expect a marker, possibly preceded by fill bytes (FF FF ...).
    if (pos >= buf.length) return { need: true };
    if (buf[pos] !== 0xff) return { error: `expected a marker at byte ${pos - start}` };
    while (pos < buf.length && buf[pos] === 0xff) pos++;
    if (pos >= buf.length) return { need: true };
    const marker = buf[pos] ?? 0;
    pos++;
    if (marker === EOI) return { end: pos, sof };
    if (marker === SOI || marker === 0x00) return { error: `unexpected marker FF${hex(marker)} at byte ${pos - 2 - start}` };
    if (isStandalone(marker)) continue;
    if (pos + 2 > buf.length) return { need: true };
    const length = buf.readUInt16BE(pos);
    if (length < 2) return { error: `bad segment length ${length} at byte ${pos - start}` };
    if (isSof(marker)) {
      if (pos + 7 > buf.length) return { need: true };
      sof ??= { height: buf.readUInt16BE(pos + 3), width: buf.readUInt16BE(pos + 5), progressive: isProgressive(marker) };
    }
    pos += length;
    if (marker !== SOS) continue;
    // Entropy-coded data: FF 00 is a stuffed FF, FF D0-D7 are restart markers, FF FF is fill;
    // any other marker ends the scan (EOI, or DHT/SOS between progressive scans).
    for (;;) {
      const ff = buf.indexOf(0xff, pos);
      if (ff < 0 || ff + 1 >= buf.length) return { need: true };
      const next = buf[ff + 1] ?? 0;
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
        pos = ff + 2;
      } else if (next === 0xff) {
        pos = ff + 1;
      } else {
        pos = ff;
        break;
      }
    }
  }
}

/**
 * The offset just past the EOI of the JPEG whose SOI is at `start`; undefined when `buf` does not
 * hold the whole JPEG yet (or the bytes are not a JPEG: callers bound how long they wait).
 */
export function findJpegEnd(buf: Buffer, start: number): number | undefined {
  const w = walk(buf, start);
  return 'end' in w ? w.end : undefined;
}

/** True when the structure at `start` cannot become a JPEG whatever bytes follow. */
export function isBrokenJpeg(buf: Buffer, start: number): boolean {
  return 'error' in walk(buf, start);
}

export type JpegInfo = { width: number; height: number; progressive: boolean } | { error: string };

/** Checks that `buf` is one whole JPEG (SOI first, a SOF, EOI last) and returns its size. */
export function parseJpeg(buf: Buffer): JpegInfo {
  if (buf.length === 0) return { error: 'not a JPEG: empty' };
  if (buf[0] !== 0xff || buf[1] !== SOI) return { error: `not a JPEG: starts with ${describeStart(buf)}` };
  const w = walk(buf, 0);
  if ('need' in w) return { error: `truncated JPEG: no EOI in ${buf.length} bytes` };
  if ('error' in w) return { error: `corrupt JPEG: ${w.error}` };
  if (!w.sof) return { error: 'corrupt JPEG: no frame header (SOF)' };
  if (w.sof.width === 0 || w.sof.height === 0) return { error: `corrupt JPEG: frame size ${w.sof.width}x${w.sof.height}` };
  // Some cameras pad the body with CR/LF or NULs after EOI; anything else means the bytes were
  // not one JPEG.
  const tail = buf.subarray(w.end);
  if (tail.some((b) => b !== 0x0d && b !== 0x0a && b !== 0x00 && b !== 0x20)) {
    return { error: `corrupt JPEG: ${tail.length} bytes after EOI` };
  }
  return { width: w.sof.width, height: w.sof.height, progressive: w.sof.progressive };
}

/**
 * "<!DOCTYPE html>..." for text, "89 50 4E 47 ..." for binary: enough to tell a login page or a
 * PNG from a JPEG in a message. Control characters are dropped so the text stays one line.
 */
export function describeStart(buf: Buffer, max = 32): string {
  const head = buf.subarray(0, max);
  const printable = head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f));
  if (printable) {
    const text = head.toString('latin1').replace(/\s+/g, ' ').trim();
    return JSON.stringify(text + (buf.length > max ? '…' : ''));
  }
  return [...head.subarray(0, 8)].map(hex).join(' ') + (buf.length > 8 ? ' …' : '');
}

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}
