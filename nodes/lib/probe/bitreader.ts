/**
 * Bit-level reading of H.264/H.265 RBSP (raw byte sequence payload): fixed-width fields and the
 * Exp-Golomb codes ue(v)/se(v) of ITU-T H.264 §9.1 (https://www.itu.int/rec/T-REC-H.264) and
 * H.265 §9.2. Parameter sets come from cameras, so every read is bounds-checked and reading past
 * the end throws a `BitstreamError` that the SPS parsers turn into "malformed".
 */

/** Thrown when a bitstream ends early or holds a value no valid stream can hold. */
export class BitstreamError extends Error {
  override readonly name = 'BitstreamError';
}

/**
 * Removes emulation-prevention bytes: encoders insert 0x03 after every 0x00 0x00 so the payload
 * never imitates a start code (H.264 §7.4.1, H.265 §7.4.2); parsing must see the bytes without
 * them. Returns the input itself when it holds none (the common case for short SPS).
 */
export function removeEmulationPrevention(nal: Buffer): Buffer {
  let zeros = 0;
  let firstEscape = -1;
  for (let i = 0; i < nal.length; i++) {
    const byte = nal[i] as number;
    if (zeros >= 2 && byte === 0x03) {
      firstEscape = i;
      break;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  if (firstEscape < 0) return nal;

  const out = Buffer.allocUnsafe(nal.length);
  nal.copy(out, 0, 0, firstEscape);
  let length = firstEscape;
  zeros = 0;
  for (let i = firstEscape + 1; i < nal.length; i++) {
    const byte = nal[i] as number;
    if (zeros >= 2 && byte === 0x03) {
      zeros = 0;
      continue;
    }
    out[length++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, length);
}

/** Reads a buffer MSB-first, as the H.26x syntax tables are written. */
export class BitReader {
  private bitPos = 0;

  constructor(private readonly data: Buffer) {}

  /** Bits not read yet. */
  bitsLeft(): number {
    return this.data.length * 8 - this.bitPos;
  }

  /** Reads an unsigned field of `bits` bits (0..32). */
  u(bits: number): number {
    if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new RangeError(`cannot read ${bits} bits at once`);
    this.need(bits);
    let value = 0;
    for (let i = 0; i < bits; i++) {
      const byte = this.data[this.bitPos >> 3] as number;
      const bit = (byte >> (7 - (this.bitPos & 7))) & 1;
      // Multiplication instead of << keeps 32-bit fields unsigned.
      value = value * 2 + bit;
      this.bitPos++;
    }
    return value;
  }

  u1(): number {
    return this.u(1);
  }

  /** Boolean flag, for readability of syntax tables. */
  flag(): boolean {
    return this.u(1) === 1;
  }

  /** Unsigned Exp-Golomb code ue(v) (H.264 §9.1). */
  ue(): number {
    let leadingZeros = 0;
    while (this.u(1) === 0) {
      leadingZeros++;
      // Any syntax element is < 2^32; more zeros means a corrupt stream, not a big number.
      if (leadingZeros > 31) throw new BitstreamError('Exp-Golomb code longer than 32 bits');
    }
    if (leadingZeros === 0) return 0;
    return 2 ** leadingZeros - 1 + this.u(leadingZeros);
  }

  /** Signed Exp-Golomb code se(v) (H.264 §9.1.1): 1, -1, 2, -2, ... */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : 0 - k / 2; // 0 - x, not -x: no negative zero
  }

  skip(bits: number): void {
    if (!Number.isInteger(bits) || bits < 0) throw new RangeError(`cannot skip ${bits} bits`);
    this.need(bits);
    this.bitPos += bits;
  }

  private need(bits: number): void {
    if (bits > this.bitsLeft()) {
      throw new BitstreamError(`bitstream ends early: wanted ${bits} bits at bit ${this.bitPos}, ${this.bitsLeft()} left`);
    }
  }
}
