/**
 * The fleet's shared H.264 feed: frames stamped per session, keyframes that differ from loop to
 * loop (cabac_zero_words) yet still decode in a real decoder (ffmpeg), P-frame-only and frozen
 * modes, and the start-at-the-GOP's-keyframe rule.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { VideoDepacketizer } from '../../nodes/lib/probe/depacketizer.js';
import type { KeyframeEvent } from '../../nodes/lib/probe/depacketizer.js';
import { parseRtp } from '../../nodes/lib/probe/rtp.js';
import type { RtpPacket } from '../../nodes/lib/probe/rtp.js';
import { H264Feed, VARIANTS } from './h264-feed.js';
import type { RtpCursor } from './h264-feed.js';

/** Splits `$`-framed interleaved data (RFC 2326 §10.12) into channel + RTP packet. */
function deinterleave(bytes: Buffer): { channel: number; packet: RtpPacket }[] {
  const out: { channel: number; packet: RtpPacket }[] = [];
  for (let at = 0; at < bytes.length; ) {
    assert.equal(bytes[at], 0x24, `interleaved frame expected at ${at}`);
    const length = bytes.readUInt16BE(at + 2);
    const packet = parseRtp(bytes.subarray(at + 4, at + 4 + length));
    assert.ok(packet, 'a valid RTP packet');
    out.push({ channel: bytes[at + 1] as number, packet });
    at += 4 + length;
  }
  assert.ok(out.length > 0);
  return out;
}

/** RTP payloads back to NAL units (single, STAP-A, FU-A; RFC 6184 §5.6–5.8), written independently of the probe. */
function nalUnits(packets: RtpPacket[]): Buffer[] {
  const nals: Buffer[] = [];
  let fragments: Buffer[] = [];
  for (const { payload } of packets) {
    const type = (payload[0] as number) & 0x1f;
    if (type === 24) {
      for (let at = 1; at < payload.length; ) {
        const size = payload.readUInt16BE(at);
        nals.push(payload.subarray(at + 2, at + 2 + size));
        at += 2 + size;
      }
    } else if (type === 28) {
      const fu = payload[1] as number;
      if (fu & 0x80) fragments = [Buffer.of(((payload[0] as number) & 0xe0) | (fu & 0x1f))];
      fragments.push(payload.subarray(2));
      if (fu & 0x40) nals.push(Buffer.concat(fragments));
    } else {
      nals.push(payload);
    }
  }
  return nals;
}

function annexB(nals: Buffer[]): Buffer {
  return Buffer.concat(nals.flatMap((n) => [Buffer.of(0, 0, 0, 1), n]));
}

/** Decodes an Annex B stream with ffmpeg; resolves with the number of decoded frames and stderr. */
function decode(stream: Buffer): Promise<{ frames: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('ffmpeg', ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'framecrc', '-'], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve({ frames: stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length, stderr });
    });
    child.stdin?.end(stream);
  });
}

describe('H264Feed', () => {
  let feed: H264Feed;
  const cursor = (): RtpCursor => ({ channel: 4, ssrc: 0xdeadbeef, sequence: 65534 });
  const nalTypes = (bytes: Buffer): number[] => nalUnits(deinterleave(bytes).map((p) => p.packet)).map((n) => (n[0] as number) & 0x1f);

  before(async () => {
    feed = await H264Feed.load({ width: 320, height: 240, fps: 10, gopFrames: 10, clipSeconds: 2 });
  });

  it('stamps channel, SSRC, timestamp and consecutive (wrapping) sequence numbers into its copy', () => {
    const c = cursor();
    const a = feed.frame('normal', 0, c, 1234);
    const b = feed.frame('normal', 1, c, 1234 + 9000);
    const packets = [...deinterleave(a.bytes), ...deinterleave(b.bytes)];
    assert.equal(packets.length, a.packets + b.packets);
    packets.forEach(({ channel, packet }, i) => {
      assert.equal(channel, 4);
      assert.equal(packet.ssrc, 0xdeadbeef);
      assert.equal(packet.sequence, (65534 + i) & 0xffff);
      assert.equal(packet.payloadType, 96);
    });
    assert.ok(deinterleave(a.bytes).every(({ packet }) => packet.timestamp === 1234));
    assert.equal(c.sequence, (65534 + packets.length) & 0xffff);
    // The shared buffers are untouched: the same frame for another session carries its own stamps.
    const other = deinterleave(feed.frame('normal', 0, { channel: 0, ssrc: 7, sequence: 0 }, 0).bytes);
    assert.equal(other[0]?.packet.ssrc, 7);
    assert.equal(other[0]?.channel, 0);
  });

  it('gives each loop a different keyframe that the depacketizer digests apart and ffmpeg decodes without complaint', async () => {
    const loops = [0, 1, 2, VARIANTS - 1, VARIANTS];
    const digests: string[] = [];
    const stream: Buffer[] = [];
    for (const loop of loops) {
      const { bytes } = feed.frame('normal', loop * feed.frameCount, cursor(), 0);
      const packets = deinterleave(bytes).map((p) => p.packet);
      const depacketizer = new VideoDepacketizer({ codec: 'H264', payloadType: 96, parameterSets: [] });
      const key = packets.map((p) => depacketizer.push(p)).find((e): e is KeyframeEvent => e?.kind === 'keyframe');
      assert.ok(key, `loop ${loop}: a whole keyframe`);
      assert.equal(key.width, 320);
      assert.equal(key.height, 240);
      digests.push(key.digest);
      const nals = nalUnits(packets);
      assert.deepEqual(nalTypes(bytes).filter((t) => [5, 7, 8].includes(t)).sort(), [5, 7, 8], 'SPS, PPS and IDR in band');
      const idr = nals.find((n) => ((n[0] as number) & 0x1f) === 5) as Buffer;
      const words = loop % VARIANTS;
      if (words > 0) assert.deepEqual(idr.subarray(idr.length - 3 * words), Buffer.concat(Array.from({ length: words }, () => Buffer.of(0, 0, 3))));
      stream.push(annexB(nals));
    }
    assert.equal(new Set(digests.slice(0, 4)).size, 4, 'loops 0, 1, 2 and VARIANTS-1 differ');
    assert.equal(digests[4], digests[0], `the variants repeat after ${VARIANTS} loops`);
    const decoded = await decode(Buffer.concat(stream));
    assert.equal(decoded.stderr, '');
    assert.equal(decoded.frames, loops.length);
  });

  it('noframes sends P-frames only, frozen the same keyframe bytes every time', () => {
    for (let f = 0; f < feed.frameCount * 2; f++) {
      const types = nalTypes(feed.frame('noframes', f, cursor(), 0).bytes);
      assert.ok(!types.some((t) => t === 5 || t === 7 || t === 8), `frame ${f}: ${types.join(',')}`);
      assert.ok(types.includes(1), 'a non-IDR slice');
    }
    const frozen = (f: number): Buffer => feed.frame('frozen', f, cursor(), 0).bytes;
    assert.deepEqual(frozen(3), frozen(feed.frameCount * 7 + 5));
    assert.ok(nalTypes(frozen(3)).includes(5));
  });

  it('starts a session at the keyframe that opens the current GOP', () => {
    const n = feed.frameCount;
    assert.equal(feed.startFrame(0), 0);
    assert.equal(feed.startFrame(9), 0);
    assert.equal(feed.startFrame(10), 10);
    assert.equal(feed.startFrame(n * 5 + 13), n * 5 + 10);
    assert.ok(nalTypes(feed.frame('normal', feed.startFrame(n * 3 + 17), cursor(), 0).bytes).includes(5));
  });
});
