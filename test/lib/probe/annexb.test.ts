import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitAnnexB } from '../../../nodes/lib/probe/annexb.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('splitAnnexB', () => {
  it('splits on 3- and 4-byte start codes and removes them', () => {
    const units = splitAnnexB(hex('00 00 00 01 67 42 00 00 01 68 ce 00 00 00 01 65 88 84'));
    assert.deepEqual(units, [hex('67 42'), hex('68 ce'), hex('65 88 84')]);
  });

  it('trims trailing zero bytes and drops what precedes the first start code', () => {
    const units = splitAnnexB(hex('ff 00 00 01 09 f0 00 00 00 00 00 01 41 9a 00 00'));
    assert.deepEqual(units, [hex('09 f0'), hex('41 9a')]);
  });

  it('keeps escaped sequences (00 00 03) inside a unit', () => {
    assert.deepEqual(splitAnnexB(hex('00 00 01 06 00 00 03 01 80')), [hex('06 00 00 03 01 80')]);
  });

  it('returns nothing for input without start codes or with empty units', () => {
    assert.deepEqual(splitAnnexB(hex('01 02 03 00 00')), []);
    assert.deepEqual(splitAnnexB(hex('00 00 01 00 00 01')), []);
    assert.deepEqual(splitAnnexB(Buffer.alloc(0)), []);
  });

  it('finds start codes at every alignment', () => {
    for (let pad = 0; pad < 6; pad++) {
      const buf = Buffer.concat([Buffer.alloc(pad, 0xaa), hex('00 00 01 41 01 02 00 00 01 42')]);
      assert.deepEqual(splitAnnexB(buf), [hex('41 01 02'), hex('42')], `pad ${pad}`);
    }
  });
});
