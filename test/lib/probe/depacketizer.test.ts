import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { VideoDepacketizer } from '../../../nodes/lib/probe/depacketizer.js';
import { depacketizerOptionsFor, parameterSetsFor, sizeFromParameterSets } from '../../../nodes/lib/probe/video-track.js';
import type { DepacketizerEvent, DepacketizerOptions, KeyframeEvent } from '../../../nodes/lib/probe/depacketizer.js';
import { parseRtp } from '../../../nodes/lib/probe/rtp.js';
import { firstVideo, parseSdp } from '../../../nodes/lib/probe/sdp.js';
import { makeClip } from '../../fixtures/clips.js';
import type { Clip } from '../../fixtures/clips.js';
import { buildRtpPacket, packetizeAccessUnit, packetizeStream } from '../../fixtures/rtp-packetizer.js';
import type { PacketizerCodec } from '../../fixtures/rtp-packetizer.js';

const PT = 96;
const SSRC = 0x1234abcd;
const h264Type = (nal: Buffer): number => (nal[0] as number) & 0x1f;
const h265Type = (nal: Buffer): number => ((nal[0] as number) >> 1) & 0x3f;

function feed(depacketizer: VideoDepacketizer, packets: Buffer[]): DepacketizerEvent[] {
  const events: DepacketizerEvent[] = [];
  for (const raw of packets) {
    const packet = parseRtp(raw);
    assert.ok(packet, 'packetizer output parses');
    const event = depacketizer.push(packet);
    if (event) events.push(event);
  }
  return events;
}

const keyframes = (events: DepacketizerEvent[]): KeyframeEvent[] =>
  events.filter((e): e is KeyframeEvent => e.kind === 'keyframe');

function options(codec: PacketizerCodec, extra: Partial<DepacketizerOptions> = {}): DepacketizerOptions {
  return { codec, payloadType: PT, parameterSets: [], ...extra };
}

function stream(codec: PacketizerCodec, accessUnits: Buffer[][], extra: { mtu?: number; sequence?: number } = {}): Buffer[] {
  return packetizeStream(codec, accessUnits, { payloadType: PT, ssrc: SSRC, fps: 10, mtu: extra.mtu ?? 1200, sequence: extra.sequence ?? 100 });
}

/** What the digest must be: SHA-1 over the VCL units, each with a 4-byte length in front. */
function expectedDigest(nals: Buffer[]): string {
  const hash = createHash('sha1');
  for (const nal of nals) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(nal.length);
    hash.update(length).update(nal);
  }
  return hash.digest('hex');
}

const totalBytes = (nals: Buffer[]): number => nals.reduce((sum, n) => sum + n.length, 0);
const payloadTypeOf = (codec: PacketizerCodec, packet: Buffer): number => {
  const payload = parseRtp(packet)?.payload ?? Buffer.alloc(0);
  return codec === 'H264' ? h264Type(payload) : h265Type(payload);
};

/** Index range of the packets that belong to access unit `index` of a packetized stream. */
function packetsOfAccessUnit(packets: Buffer[], index: number): number[] {
  const timestamps = [...new Set(packets.map((p) => parseRtp(p)?.timestamp))];
  const wanted = timestamps[index];
  return packets.flatMap((p, i) => (parseRtp(p)?.timestamp === wanted ? [i] : []));
}

describe('VideoDepacketizer, H.264 (real x264 output)', () => {
  let clip: Clip;
  let big: Clip;
  let slices: Clip;
  before(async () => {
    // 10 frames, IDR at 0 and 5.
    clip = await makeClip('H264', { width: 352, height: 288, fps: 10, seconds: 1, gop: 5 });
    big = await makeClip('H264', { width: 1920, height: 1080, fps: 10, seconds: 0.2, gop: 5 });
    slices = await makeClip('H264', { width: 640, height: 480, fps: 10, seconds: 0.5, gop: 5, encoderParams: 'slices=4' });
  });

  it('reports the first packet, then each whole IDR access unit with size, digest and SPS facts', () => {
    const packets = stream('H264', clip.accessUnits);
    const types = new Set(packets.map((p) => payloadTypeOf('H264', p)));
    assert.ok(packets.every((p) => p.length <= 1200), 'the packetizer keeps to the MTU');
    assert.equal(packets.filter((p) => parseRtp(p)?.marker).length, clip.accessUnits.length, 'one marker per access unit');
    const single = [...types].some((t) => t >= 1 && t <= 23);
    assert.ok(types.has(24) && types.has(28) && single, `STAP-A, FU-A and single NAL packets all used (${[...types].join(',')})`);
    const d = new VideoDepacketizer(options('H264'));
    const events = feed(d, packets);
    assert.deepEqual(events[0], { kind: 'packet' });
    const keys = keyframes(events);
    assert.equal(keys.length, 2);
    const [first, second] = keys;
    const au0 = clip.accessUnits[0] as Buffer[];
    assert.ok(au0.some((n) => h264Type(n) === 5), 'AU 0 is an IDR');
    assert.deepEqual(first, {
      kind: 'keyframe',
      bytes: totalBytes(au0),
      digest: expectedDigest(au0.filter((n) => h264Type(n) >= 1 && h264Type(n) <= 5)),
      width: 352,
      height: 288,
      fps: 10,
    });
    assert.equal(second?.bytes, totalBytes(clip.accessUnits[5] as Buffer[]));
    assert.notEqual(second?.digest, first?.digest);
    assert.equal(d.packetsSeen, packets.length);
    assert.equal(d.videoPayloadBytes, packets.reduce((sum, p) => sum + (parseRtp(p)?.payload.length ?? 0), 0));
  });

  it('reassembles a 1080p keyframe from many FU-A fragments', () => {
    const packets = stream('H264', big.accessUnits);
    const key = keyframes(feed(new VideoDepacketizer(options('H264')), packets))[0];
    assert.ok(key);
    assert.equal(key.width, 1920);
    assert.equal(key.height, 1080);
    assert.equal(key.bytes, totalBytes(big.accessUnits[0] as Buffer[]));
    assert.ok(packetsOfAccessUnit(packets, 0).length > 5, 'the IDR really was fragmented');
  });

  it('gives the same digest for the same picture and ignores transport details', () => {
    const au = clip.accessUnits[0] as Buffer[];
    const a = packetizeAccessUnit('H264', au, { payloadType: PT, sequence: 1, timestamp: 1000, ssrc: SSRC, mtu: 1200 });
    const b = packetizeAccessUnit('H264', au, { payloadType: PT, sequence: a.nextSequence, timestamp: 5000, ssrc: SSRC, mtu: 500, aggregate: false });
    const keys = keyframes(feed(new VideoDepacketizer(options('H264')), [...a.packets, ...b.packets]));
    assert.equal(keys.length, 2);
    assert.equal(keys[0]?.digest, keys[1]?.digest);
  });

  it('drops an IDR whose middle fragment was lost, and still takes the next one', () => {
    const packets = stream('H264', clip.accessUnits);
    const idr = packetsOfAccessUnit(packets, 0);
    const middle = idr[Math.floor(idr.length / 2)] as number;
    assert.equal(payloadTypeOf('H264', packets[middle] as Buffer), 28, 'the lost packet is an FU-A fragment');
    const damaged = packets.filter((_, i) => i !== middle);
    const keys = keyframes(feed(new VideoDepacketizer(options('H264')), damaged));
    assert.equal(keys.length, 1);
    assert.equal(keys[0]?.bytes, totalBytes(clip.accessUnits[5] as Buffer[]));
  });

  it('drops an access unit whose last packet (marker) was lost', () => {
    const packets = stream('H264', clip.accessUnits);
    const idr = packetsOfAccessUnit(packets, 0);
    const damaged = packets.filter((_, i) => i !== idr[idr.length - 1]);
    assert.equal(keyframes(feed(new VideoDepacketizer(options('H264')), damaged)).length, 1);
  });

  it('never reports a keyframe for P-frames only', () => {
    const events = feed(new VideoDepacketizer(options('H264')), stream('H264', clip.accessUnits.slice(1, 5)));
    assert.deepEqual(events, [{ kind: 'packet' }]);
  });

  it('does not take a keyframe it joined in the middle of (FU-A continuation first)', () => {
    const packets = stream('H264', clip.accessUnits);
    const idr = packetsOfAccessUnit(packets, 0);
    const joinAt = idr.find((i) => payloadTypeOf('H264', packets[i] as Buffer) === 28 && ((parseRtp(packets[i] as Buffer)?.payload[1] as number) & 0x80) === 0);
    assert.ok(joinAt !== undefined);
    const keys = keyframes(feed(new VideoDepacketizer(options('H264')), packets.slice(joinAt)));
    assert.equal(keys.length, 1, 'only the second IDR');
  });

  it('does not take a multi-slice IDR joined at its second slice (first_mb_in_slice != 0)', () => {
    const au0 = slices.accessUnits[0] as Buffer[];
    const idrSlices = au0.filter((n) => h264Type(n) === 5);
    assert.equal(idrSlices.length, 4, 'x264 wrote 4 slices');
    // Packetize without aggregation and with a big MTU so each slice is one packet, then start at slice 2.
    const whole = packetizeAccessUnit('H264', au0, { payloadType: PT, sequence: 1, timestamp: 9000, ssrc: SSRC, mtu: 65000, aggregate: false });
    const secondSlice = au0.indexOf(idrSlices[1] as Buffer);
    assert.deepEqual(keyframes(feed(new VideoDepacketizer(options('H264')), whole.packets.slice(secondSlice))), []);
    assert.equal(keyframes(feed(new VideoDepacketizer(options('H264')), whole.packets)).length, 1, 'whole, it counts');
  });

  it('takes width and height from sprop-parameter-sets when the stream carries no SPS', () => {
    const withoutSets = clip.accessUnits.map((au) => au.filter((n) => h264Type(n) !== 7 && h264Type(n) !== 8));
    const packets = stream('H264', withoutSets);
    const noSprop = keyframes(feed(new VideoDepacketizer(options('H264')), packets))[0];
    assert.ok(noSprop);
    assert.equal(noSprop.width, undefined);
    const sdp = parseSdp(
      `m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\na=fmtp:96 packetization-mode=1;sprop-parameter-sets=${clip.sps.toString('base64')},${clip.pps.toString('base64')}\n`,
    );
    const track = firstVideo(sdp);
    assert.ok(track);
    const key = keyframes(feed(new VideoDepacketizer(depacketizerOptionsFor(track)), packets))[0];
    assert.equal(key?.width, 352);
    assert.equal(key?.height, 288);
    assert.equal(key?.fps, 10);
  });

  it('prefers an in-band SPS over the SDP one', () => {
    const d = new VideoDepacketizer(options('H264', { parameterSets: [big.sps, big.pps] }));
    const key = keyframes(feed(d, stream('H264', clip.accessUnits)))[0];
    assert.deepEqual([key?.width, key?.height], [352, 288]);
  });

  it('completes access units on a timestamp change when the marker bit is missing', () => {
    const packets = stream('H264', clip.accessUnits).map((p) => {
      const copy = Buffer.from(p);
      copy[1] = (copy[1] as number) & 0x7f;
      return copy;
    });
    const keys = keyframes(feed(new VideoDepacketizer(options('H264')), packets));
    assert.equal(keys.length, 2);
    assert.equal(keys[0]?.bytes, totalBytes(clip.accessUnits[0] as Buffer[]));
  });

  it('follows sequence numbers across the 16-bit wrap', () => {
    const packets = stream('H264', clip.accessUnits, { sequence: 65500 });
    assert.equal(keyframes(feed(new VideoDepacketizer(options('H264')), packets)).length, 2);
  });

  it('resynchronises when the sender jumps its sequence numbers far back', () => {
    const first = stream('H264', clip.accessUnits.slice(0, 5), { sequence: 40000 });
    // 10,000 behind: not a late packet. The unit right after the jump may have lost its head, so
    // only the IDR after that one can count.
    const restarted = stream('H264', clip.accessUnits, { sequence: 30000 }).map((p) => {
      const copy = Buffer.from(p);
      copy.writeUInt32BE(copy.readUInt32BE(4) + 900000, 4); // timestamps move on, as they would
      return copy;
    });
    const keys = keyframes(feed(new VideoDepacketizer(options('H264')), [...first, ...restarted]));
    assert.equal(keys.length, 2);
  });

  it('drops access units over the memory cap', () => {
    const d = new VideoDepacketizer(options('H264', { maxAccessUnitBytes: 2000 }));
    const events = feed(d, stream('H264', clip.accessUnits));
    assert.deepEqual(keyframes(events), []);
    assert.equal(events[0]?.kind, 'packet');
  });

  it('ignores other payload types, duplicates, and reports packet only for a valid NAL header', () => {
    const d = new VideoDepacketizer(options('H264'));
    const other = buildRtpPacket({ payloadType: 97, sequence: 1, timestamp: 1, ssrc: SSRC, marker: true }, Buffer.of(0x65, 0x88));
    const forbidden = buildRtpPacket({ payloadType: PT, sequence: 99, timestamp: 1, ssrc: SSRC }, Buffer.of(0xe5, 0x88));
    assert.deepEqual(feed(d, [other, forbidden]), []);
    assert.equal(d.packetsSeen, 1, 'only the video payload type counts');
    const packets = stream('H264', clip.accessUnits);
    const withDuplicates = packets.flatMap((p, i) => (i % 3 === 0 ? [p, p] : [p]));
    const events = feed(d, withDuplicates);
    assert.equal(events[0]?.kind, 'packet');
    const clean = keyframes(feed(new VideoDepacketizer(options('H264')), packets));
    assert.equal(clean.length, 2);
    assert.deepEqual(keyframes(events), clean, 'duplicates change neither size nor digest');
  });

  it('drops an IDR whose packets arrived out of order', () => {
    const packets = stream('H264', clip.accessUnits);
    const idr = packetsOfAccessUnit(packets, 0);
    const [i, j] = [idr[2] as number, idr[3] as number];
    const swapped = [...packets];
    [swapped[i], swapped[j]] = [packets[j] as Buffer, packets[i] as Buffer];
    assert.equal(keyframes(feed(new VideoDepacketizer(options('H264')), swapped)).length, 1);
  });

  it('starts over when the SSRC changes', () => {
    const a = stream('H264', clip.accessUnits.slice(0, 1));
    const half = a.slice(0, Math.floor(a.length / 2)).map((p) => {
      const copy = Buffer.from(p);
      copy.writeUInt32BE(0x99, 8);
      return copy;
    });
    const keys = keyframes(feed(new VideoDepacketizer(options('H264')), [...half, ...stream('H264', clip.accessUnits)]));
    assert.equal(keys.length, 2);
  });

  it('rejects malformed aggregation and fragmentation packets without throwing', () => {
    const d = new VideoDepacketizer(options('H264'));
    const bad = [
      Buffer.of(0x18, 0x00, 0x09, 0x67), // STAP-A size past the end
      Buffer.of(0x18, 0x00, 0x00), // STAP-A zero size
      Buffer.of(0x7c), // FU-A without FU header
      Buffer.of(0x7c, 0x45, 0x01), // FU-A end without start
      Buffer.of(0x79, 0x00), // STAP-B (interleaved mode)
      Buffer.of(0x1e, 0x00), // type 30
    ];
    let seq = 10;
    for (const payload of bad) {
      const packet = parseRtp(buildRtpPacket({ payloadType: PT, sequence: seq++, timestamp: seq * 3000, ssrc: 5, marker: true }, payload));
      assert.ok(packet);
      assert.doesNotThrow(() => d.push(packet));
    }
    assert.equal(d.packetsSeen, bad.length);
  });
});

describe('VideoDepacketizer, H.265 (real x265 output)', () => {
  let clip: Clip;
  before(async () => {
    // 10 frames: IDR at 0, CRA at 5 (x265 uses open GOPs by default).
    clip = await makeClip('H265', { width: 1280, height: 720, fps: 10, seconds: 1, gop: 5 });
  });

  it('reports the first packet, then each whole IRAP access unit (IDR and CRA)', () => {
    const packets = stream('H265', clip.accessUnits);
    const types = new Set(packets.map((p) => payloadTypeOf('H265', p)));
    assert.ok(types.has(48) && types.has(49), `AP and FU packets used (${[...types].join(',')})`);
    const d = new VideoDepacketizer(options('H265'));
    const events = feed(d, packets);
    assert.deepEqual(events[0], { kind: 'packet' });
    const keys = keyframes(events);
    assert.equal(keys.length, 2);
    const irapTypes = [0, 5].map((i) => (clip.accessUnits[i] as Buffer[]).map(h265Type).find((t) => t >= 16 && t <= 23));
    assert.ok(irapTypes[0] === 19 || irapTypes[0] === 20, 'first keyframe is an IDR');
    assert.equal(irapTypes[1], 21, 'second keyframe is a CRA');
    const au0 = clip.accessUnits[0] as Buffer[];
    assert.deepEqual(keys[0], {
      kind: 'keyframe',
      bytes: totalBytes(au0),
      digest: expectedDigest(au0.filter((n) => h265Type(n) < 32)),
      width: 1280,
      height: 720,
      fps: 10,
    });
  });

  it('drops an IRAP whose middle FU was lost', () => {
    const packets = stream('H265', clip.accessUnits);
    const irap = packetsOfAccessUnit(packets, 0);
    const middle = irap[Math.floor(irap.length / 2)] as number;
    assert.equal(payloadTypeOf('H265', packets[middle] as Buffer), 49);
    const keys = keyframes(feed(new VideoDepacketizer(options('H265')), packets.filter((_, i) => i !== middle)));
    assert.equal(keys.length, 1);
    assert.equal(keys[0]?.bytes, totalBytes(clip.accessUnits[5] as Buffer[]));
  });

  it('never reports a keyframe for non-IRAP pictures only', () => {
    assert.deepEqual(feed(new VideoDepacketizer(options('H265')), stream('H265', clip.accessUnits.slice(1, 5))), [{ kind: 'packet' }]);
  });

  it('takes the size from sprop-vps/sps/pps when the stream carries none', () => {
    const stripped = clip.accessUnits.map((au) => au.filter((n) => ![32, 33, 34].includes(h265Type(n))));
    const fmtp = {
      'sprop-vps': (clip.vps as Buffer).toString('base64'),
      'sprop-sps': clip.sps.toString('base64'),
      'sprop-pps': clip.pps.toString('base64'),
    };
    const d = new VideoDepacketizer(options('H265', { parameterSets: parameterSetsFor('H265', fmtp) }));
    const key = keyframes(feed(d, stream('H265', stripped)))[0];
    assert.deepEqual([key?.width, key?.height, key?.fps], [1280, 720, 10]);
  });

  it('unwraps PACI packets', () => {
    const packets = stream('H265', clip.accessUnits.slice(0, 1), { mtu: 65000 }).map((raw) => {
      const p = parseRtp(raw);
      assert.ok(p);
      // PayloadHdr type 50, then A=0 | cType | PHSsize=2 | F0..F2,Y = 0, then 2 bytes of PHES.
      const cType = h265Type(p.payload);
      const header = Buffer.of(((p.payload[0] as number) & 0x81) | (50 << 1), p.payload[1] as number, (cType << 1) | 0, 0x20, 0xaa, 0xbb);
      return buildRtpPacket({ payloadType: PT, sequence: p.sequence, timestamp: p.timestamp, ssrc: p.ssrc, marker: p.marker }, Buffer.concat([header, p.payload.subarray(2)]));
    });
    const key = keyframes(feed(new VideoDepacketizer(options('H265')), packets))[0];
    assert.equal(key?.bytes, totalBytes(clip.accessUnits[0] as Buffer[]));
  });

  it('reads DONL fields when sprop-max-don-diff says they are there', () => {
    const au = clip.accessUnits[0] as Buffer[];
    const plain = packetizeAccessUnit('H265', au, { payloadType: PT, sequence: 7, timestamp: 90000, ssrc: SSRC, mtu: 1200 });
    let don = 0;
    const withDonl = plain.packets.map((raw) => {
      const p = parseRtp(raw);
      assert.ok(p);
      const type = h265Type(p.payload);
      const donl = Buffer.alloc(2);
      donl.writeUInt16BE(don++);
      let payload: Buffer;
      if (type === 49) {
        const start = ((p.payload[2] as number) & 0x80) !== 0;
        payload = start ? Buffer.concat([p.payload.subarray(0, 3), donl, p.payload.subarray(3)]) : p.payload;
      } else if (type === 48) {
        // First unit: DONL before its size; later units: a 1-byte DOND before each size.
        const parts = [p.payload.subarray(0, 2), donl];
        let offset = 2;
        let firstUnit = true;
        while (offset < p.payload.length) {
          const size = p.payload.readUInt16BE(offset);
          if (!firstUnit) parts.push(Buffer.of(0));
          parts.push(p.payload.subarray(offset, offset + 2 + size));
          offset += 2 + size;
          firstUnit = false;
        }
        payload = Buffer.concat(parts);
      } else {
        payload = Buffer.concat([p.payload.subarray(0, 2), donl, p.payload.subarray(2)]);
      }
      return buildRtpPacket({ payloadType: PT, sequence: p.sequence, timestamp: p.timestamp, ssrc: p.ssrc, marker: p.marker }, payload);
    });
    const sdp = parseSdp('m=video 0 RTP/AVP 96\na=rtpmap:96 H265/90000\na=fmtp:96 sprop-max-don-diff=2\n');
    const track = firstVideo(sdp);
    assert.ok(track);
    const key = keyframes(feed(new VideoDepacketizer(depacketizerOptionsFor(track)), withDonl))[0];
    assert.equal(key?.bytes, totalBytes(au));
    assert.equal(key?.digest, expectedDigest(au.filter((n) => h265Type(n) < 32)));
    assert.deepEqual(keyframes(feed(new VideoDepacketizer(options('H265')), withDonl)), [], 'misread without DONL');
  });

  it('reports no packet for payloads with an invalid H.265 header', () => {
    const d = new VideoDepacketizer(options('H265'));
    const packet = parseRtp(buildRtpPacket({ payloadType: PT, sequence: 1, timestamp: 1, ssrc: 1 }, Buffer.of(0x26, 0x00, 0x01)));
    assert.ok(packet);
    assert.equal(d.push(packet), undefined);
  });
});

describe('VideoDepacketizer, other codecs', () => {
  /** RTP/JPEG payloads (RFC 2435 §3.1): 8-byte header with the 24-bit fragment offset. */
  function jpegFrame(timestamp: number, sequence: number, body: Buffer, fragment: number): Buffer[] {
    const out: Buffer[] = [];
    for (let offset = 0; offset < body.length; offset += fragment) {
      const header = Buffer.from([0, 0, 0, 0, 1, 80, 40, 30]);
      header.writeUIntBE(offset, 1, 3);
      const last = offset + fragment >= body.length;
      out.push(buildRtpPacket({ payloadType: 26, sequence: sequence++, timestamp, ssrc: 3, marker: last }, Buffer.concat([header, body.subarray(offset, offset + fragment)])));
    }
    return out;
  }

  it('JPEG: a frame joined mid-way does not count, the next whole one does', () => {
    const bodyA = Buffer.alloc(3000, 0xa1);
    const bodyB = Buffer.alloc(2500, 0xb2);
    const frameA = jpegFrame(1000, 1, bodyA, 1000);
    const frameB = jpegFrame(4000, 4, bodyB, 1000);
    const d = new VideoDepacketizer({ codec: 'JPEG', payloadType: 26, parameterSets: [] });
    const events = feed(d, [...frameA.slice(1), ...frameB]);
    assert.deepEqual(events[0], { kind: 'packet' });
    const keys = keyframes(events);
    assert.equal(keys.length, 1);
    const payloads = frameB.map((p) => parseRtp(p)?.payload as Buffer);
    assert.equal(keys[0]?.bytes, totalBytes(payloads));
    assert.equal(keys[0]?.digest, expectedDigest(payloads));
    // RFC 2435 §3.1: width 40 and height 30 in 8-pixel units.
    assert.deepEqual([keys[0]?.width, keys[0]?.height], [320, 240]);
  });

  it('JPEG: a session that starts at fragment offset 0 counts its first frame', () => {
    const d = new VideoDepacketizer({ codec: 'JPEG', payloadType: 26, parameterSets: [] });
    assert.equal(keyframes(feed(d, jpegFrame(1000, 1, Buffer.alloc(2000, 1), 900))).length, 1);
  });

  it('other codecs: the first frame after a marker counts, a lost packet voids a frame', () => {
    const mk = (seq: number, ts: number, marker: boolean): Buffer => buildRtpPacket({ payloadType: 97, sequence: seq, timestamp: ts, ssrc: 1, marker }, Buffer.alloc(100, seq));
    const d = new VideoDepacketizer({ codec: 'MP4V-ES', payloadType: 97, parameterSets: [] });
    // frame 1 (start unseen), frame 2 with packet 5 lost, frame 3 whole
    const events = feed(d, [mk(1, 10, false), mk(2, 10, true), mk(3, 20, false), mk(4, 20, false), mk(6, 20, true), mk(7, 30, false), mk(8, 30, true)]);
    const keys = keyframes(events);
    assert.equal(events[0]?.kind, 'packet');
    assert.equal(keys.length, 1);
    assert.equal(keys[0]?.bytes, 200);
  });
});

describe('sizeFromParameterSets', () => {
  it('finds the SPS among the sets of either codec', async () => {
    const h264 = await makeClip('H264', { width: 352, height: 288, fps: 10, seconds: 1, gop: 5 });
    assert.deepEqual(sizeFromParameterSets('H264', [h264.pps, h264.sps]), { width: 352, height: 288, fps: 10 });
    assert.equal(sizeFromParameterSets('H265', [h264.sps]), undefined);
    assert.equal(sizeFromParameterSets('JPEG', []), undefined);
  });
});
