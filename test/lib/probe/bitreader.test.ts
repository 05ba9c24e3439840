import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BitReader, BitstreamError, removeEmulationPrevention } from '../../../nodes/lib/probe/bitreader.js';
import { addEmulationPrevention, BitWriter } from '../../fixtures/bit-writer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('removeEmulationPrevention', () => {
  it('strips the 0x03 after two zero bytes', () => {
    assert.deepEqual(removeEmulationPrevention(hex('67 00 00 03 01 ff')), hex('67 00 00 01 ff'));
    assert.deepEqual(removeEmulationPrevention(hex('00 00 03 00 00 03 00')), hex('00 00 00 00 00'));
    assert.deepEqual(removeEmulationPrevention(hex('11 00 00 03')), hex('11 00 00'));
  });

  it('keeps 0x03 that does not follow two zeros, and zeros counted after an escape restart', () => {
    assert.deepEqual(removeEmulationPrevention(hex('00 03 00 00 02 03')), hex('00 03 00 00 02 03'));
    // After 00 00 03 the counter restarts: the 03 in "03 00 03" is data, not another escape.
    assert.deepEqual(removeEmulationPrevention(hex('00 00 03 00 03')), hex('00 00 00 03'));
  });

  it('returns input without escapes unchanged', () => {
    const input = hex('67 42 c0 1e d9 00 b0 4b');
    assert.deepEqual(removeEmulationPrevention(input), input);
    assert.equal(removeEmulationPrevention(Buffer.alloc(0)).length, 0);
  });

  it('undoes what an encoder inserts, for random payloads', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 5; // many zeros
    for (let round = 0; round < 200; round++) {
      const rbsp = Buffer.from(Array.from({ length: 1 + (round % 40) }, () => random()));
      // An RBSP never ends in a zero byte (stop bit), which is what makes escaping reversible.
      rbsp[rbsp.length - 1] = 0x80;
      assert.deepEqual(removeEmulationPrevention(addEmulationPrevention(rbsp)), rbsp);
    }
  });
});

describe('BitReader', () => {
  it('reads fixed-width fields MSB first, up to 32 bits unsigned', () => {
    const r = new BitReader(hex('a5 ff ff ff ff 0f'));
    assert.equal(r.u(1), 1);
    assert.equal(r.u(3), 0b010);
    assert.equal(r.u(4), 0b0101);
    assert.equal(r.u(32), 0xffffffff);
    assert.equal(r.u1(), 0);
    assert.equal(r.bitsLeft(), 7);
    assert.equal(r.u(0), 0);
  });

  it('decodes Exp-Golomb ue/se as H.264 table 9-2/9-3 lists them', () => {
    // ue: 1 → 0, 010 → 1, 011 → 2, 00100 → 3, 00111 → 6; se of 1,2,3,4 → 1,-1,2,-2
    const r = new BitReader(hex('a6 42 00 00 00 00 00')); // 1 010 011 00100 0010 ...
    assert.equal(r.ue(), 0);
    assert.equal(r.ue(), 1);
    assert.equal(r.ue(), 2);
    assert.equal(r.ue(), 3);
    const w = new BitWriter();
    const values = [0, 1, 2, 7, 8, 255, 65535, 2 ** 31, 2 ** 32 - 2];
    for (const v of values) w.ue(v);
    for (const v of [0, 1, -1, 2, -2, 1000, -1000]) w.se(v);
    w.u(8, 0xff);
    const rr = new BitReader(w.toBuffer());
    for (const v of values) assert.equal(rr.ue(), v);
    for (const v of [0, 1, -1, 2, -2, 1000, -1000]) assert.equal(rr.se(), v);
    assert.equal(rr.u(8), 0xff);
  });

  it('skips and counts bits', () => {
    const r = new BitReader(hex('00 ff'));
    r.skip(8);
    assert.equal(r.bitsLeft(), 8);
    assert.equal(r.u(8), 0xff);
    assert.equal(r.bitsLeft(), 0);
  });

  it('throws a BitstreamError when reading past the end', () => {
    const r = new BitReader(hex('ff'));
    r.u(6);
    assert.throws(() => r.u(3), BitstreamError);
    assert.throws(() => new BitReader(hex('ff')).skip(9), /ends early/);
    // An Exp-Golomb code whose leading zeros run off the end.
    assert.throws(() => new BitReader(hex('00 00')).ue(), BitstreamError);
    assert.throws(() => new BitReader(Buffer.alloc(0)).u1(), BitstreamError);
  });

  it('rejects Exp-Golomb codes longer than 32 bits instead of returning huge numbers', () => {
    assert.throws(() => new BitReader(Buffer.alloc(16)).ue(), /longer than 32 bits/);
  });

  it('rejects impossible widths', () => {
    assert.throws(() => new BitReader(hex('ff ff ff ff ff')).u(33), RangeError);
    assert.throws(() => new BitReader(hex('ff')).skip(-1), RangeError);
  });
});
