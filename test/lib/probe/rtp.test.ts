import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRtcp, parseRtp, sequenceDelta } from '../../../nodes/lib/probe/rtp.js';
import { buildRtpPacket } from '../../fixtures/rtp-packetizer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('parseRtp', () => {
  it('reads the fixed header fields (RFC 3550 §5.1)', () => {
    // V=2, M=1, PT=96, seq 0xabcd, ts 0x01020304, ssrc 0xdeadbeef, payload 65 88
    const p = parseRtp(hex('80 e0 ab cd 01 02 03 04 de ad be ef 65 88'));
    assert.ok(p);
    assert.equal(p.marker, true);
    assert.equal(p.payloadType, 96);
    assert.equal(p.sequence, 0xabcd);
    assert.equal(p.timestamp, 0x01020304);
    assert.equal(p.ssrc, 0xdeadbeef);
    assert.deepEqual(p.payload, hex('65 88'));
    const q = parseRtp(hex('80 1a 00 01 ff ff ff ff 00 00 00 01'));
    assert.equal(q?.marker, false);
    assert.equal(q?.payloadType, 26);
    assert.equal(q?.timestamp, 0xffffffff);
    assert.equal(q?.payload.length, 0);
  });

  it('skips the CSRC list, the header extension and the padding', () => {
    const payload = hex('7c 85 01 02 03');
    const packet = buildRtpPacket(
      {
        payloadType: 97,
        sequence: 65535,
        timestamp: 3000,
        ssrc: 42,
        marker: true,
        csrcs: [1, 2, 3],
        extension: { profile: 0xbede, data: hex('10 aa bb') },
        padding: 7,
      },
      payload,
    );
    const p = parseRtp(packet);
    assert.ok(p);
    assert.deepEqual(p.payload, payload);
    assert.equal(p.sequence, 65535);
    assert.equal(p.payloadType, 97);
    assert.equal(p.marker, true);
  });

  it('accepts padding that takes the whole payload', () => {
    const p = parseRtp(buildRtpPacket({ payloadType: 96, sequence: 1, timestamp: 1, ssrc: 1, padding: 4 }, Buffer.alloc(0)));
    assert.equal(p?.payload.length, 0);
  });

  it('rejects what is not a well-formed RTP v2 packet', () => {
    const good = buildRtpPacket({ payloadType: 96, sequence: 1, timestamp: 1, ssrc: 1 }, hex('65 00'));
    assert.ok(parseRtp(good));
    assert.equal(parseRtp(good.subarray(0, 11)), undefined, 'shorter than the fixed header');
    const v1 = Buffer.from(good);
    v1[0] = 0x40;
    assert.equal(parseRtp(v1), undefined, 'version 1');
    const csrc = Buffer.from(good);
    csrc[0] = 0x8f;
    assert.equal(parseRtp(csrc), undefined, 'CSRC list past the end');
    const ext = Buffer.concat([hex('90 60 00 01 00 00 00 01 00 00 00 01'), hex('be de 00 05 00 00 00 00')]);
    assert.equal(parseRtp(ext), undefined, 'extension longer than the packet');
    assert.equal(parseRtp(hex('90 60 00 01 00 00 00 01 00 00 00 01 be de')), undefined, 'extension header cut');
    assert.equal(parseRtp(hex('a0 60 00 01 00 00 00 01 00 00 00 01 65 00')), undefined, 'padding count 0');
    assert.equal(parseRtp(hex('a0 60 00 01 00 00 00 01 00 00 00 01 65 09')), undefined, 'padding larger than payload');
    assert.equal(parseRtp(Buffer.alloc(0)), undefined);
  });

  it('returns a view of the payload, not a copy', () => {
    const buf = hex('80 60 00 01 00 00 00 01 00 00 00 01 41 42');
    const p = parseRtp(buf);
    assert.equal(p?.payload.buffer, buf.buffer);
  });
});

describe('isRtcp', () => {
  it('recognises RTCP packet types in the second byte (RFC 5761 §4)', () => {
    for (const type of [200, 201, 202, 203, 204, 205, 206, 207]) {
      assert.equal(isRtcp(Buffer.from([0x81, type, 0x00, 0x06, 0, 0, 0, 0])), true, String(type));
    }
  });

  it('does not mistake RTP for RTCP', () => {
    assert.equal(isRtcp(hex('80 e0 00 01 00 00 00 01 00 00 00 01')), false, 'PT 96 with marker = 224');
    assert.equal(isRtcp(hex('80 80 00 01 00 00 00 01 00 00 00 01')), false, 'PT 0 with marker');
    assert.equal(isRtcp(hex('80 60 00 01')), false, 'PT 96');
    assert.equal(isRtcp(hex('40 c8 00 01')), false, 'version 1');
    assert.equal(isRtcp(hex('80 c8')), false, 'too short');
  });
});

describe('sequenceDelta', () => {
  it('measures distance in 16-bit sequence space across the wrap', () => {
    assert.equal(sequenceDelta(10, 11), 1);
    assert.equal(sequenceDelta(65535, 0), 1);
    assert.equal(sequenceDelta(65530, 3), 9);
    assert.equal(sequenceDelta(3, 65530), -9);
    assert.equal(sequenceDelta(5, 5), 0);
  });
});
