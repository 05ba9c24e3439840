/**
 * Annex B byte streams (H.264 Annex B, H.265 Annex B): NAL units separated by start codes
 * 0x000001 or 0x00000001. Used for encoder output (ffmpeg `-f h264`/`-f hevc`) in tests and for
 * any byte stream a camera hands over whole.
 */

/**
 * Splits an Annex B stream into NAL units without their start codes. The zero byte of a 4-byte
 * start code and trailing_zero_8bits (Annex B.1) end up at the tail of the previous unit, so
 * trailing zeros are trimmed; a NAL unit never legitimately ends in 0x00 (its RBSP ends with the
 * stop bit, and cabac_zero_words are 0x0000 03, see H.264 §7.3.2.10). Bytes before the first start
 * code are not a NAL unit and are dropped.
 */
export function splitAnnexB(buf: Buffer): Buffer[] {
  const units: Buffer[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < buf.length) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      if (start >= 0) pushTrimmed(units, buf, start, i);
      i += 3;
      start = i;
    } else if (buf[i + 2] !== 0) {
      // A start code at i+1 or i+2 would need buf[i+2] === 0, and one at i was just ruled out.
      i += 3;
    } else {
      i++;
    }
  }
  if (start >= 0) pushTrimmed(units, buf, start, buf.length);
  return units;
}

function pushTrimmed(units: Buffer[], buf: Buffer, start: number, end: number): void {
  let last = end;
  while (last > start && buf[last - 1] === 0) last--;
  if (last > start) units.push(buf.subarray(start, last));
}
