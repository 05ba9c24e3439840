/**
 * The one video every simulated RTSP camera shows: a short H.264 clip encoded once by ffmpeg
 * (test/fixtures/clips.ts), split into access units and packetized to RTP once
 * (test/fixtures/rtp-packetizer.ts), each access unit kept as ready-to-send interleaved bytes
 * (RFC 2326 §10.12). A session only copies a frame and patches channel, sequence, timestamp and
 * SSRC in the copy: no encoding, no packetizing per camera.
 *
 * A looping clip would show a monitor the same keyframe again after one loop, which is exactly
 * what a frozen camera looks like. So each loop appends a different number of `cabac_zero_word`s
 * (0x000003 on the wire) to the keyframe's slice: legal trailing data of a CABAC slice (ITU-T
 * H.264 §7.3.2.10 rbsp_slice_trailing_bits, §7.4.2.10), ignored by decoders, but it changes the
 * bytes a frozen-picture check hashes. Keyframes repeat only after `VARIANTS` loops.
 */
import { makeClip } from '../fixtures/clips.js';
import type { Clip } from '../fixtures/clips.js';
import { buildSdp, planFrames, senderReport, VIDEO_PT } from '../fixtures/fake-camera/media.js';
import { interleavedFrame } from '../fixtures/fake-camera/rtsp-wire.js';
import { packetizeAccessUnit } from '../fixtures/rtp-packetizer.js';
import { BitReader, removeEmulationPrevention } from '../../nodes/lib/probe/bitreader.js';

/** Distinct keyframe variants: a prime, so a probe interval rarely divides the repeat period. */
export const VARIANTS = 241;
const ZERO_WORD = Buffer.of(0x00, 0x00, 0x03);

export type StreamMode = 'normal' | 'frozen' | 'noframes';

export interface FeedSpec {
  width: number;
  height: number;
  fps: number;
  gopFrames: number;
  clipSeconds: number;
}

/** The per-session RTP state a frame is stamped with; `sequence` advances as packets go out. */
export interface RtpCursor {
  channel: number;
  ssrc: number;
  sequence: number;
}

/** One access unit as interleaved RTP packets, with where each packet starts. */
interface WireFrame {
  bytes: Buffer;
  offsets: number[];
  keyframe: boolean;
}

export class H264Feed {
  /** The SDP every camera answers DESCRIBE with (sprop-parameter-sets, RFC 6184 §8.1). */
  readonly sdp: Buffer;
  /** Frames in one loop of the clip. */
  readonly frameCount: number;

  private constructor(
    readonly spec: FeedSpec,
    clip: Clip,
    private readonly normal: WireFrame[],
    private readonly keyIndex: number[],
    private readonly pOnly: WireFrame[],
    private readonly frozen: WireFrame,
  ) {
    this.frameCount = normal.length;
    const sdp = buildSdp({ codec: 'H264', clip, fps: spec.fps, video: true, audio: false, videoControl: 'trackID=1', audioControl: 'trackID=2' });
    this.sdp = Buffer.from(sdp, 'utf8');
  }

  static async load(spec: FeedSpec): Promise<H264Feed> {
    const clip = await makeClip('H264', {
      width: spec.width,
      height: spec.height,
      fps: spec.fps,
      seconds: spec.clipSeconds,
      gop: spec.gopFrames,
      // CABAC, so that cabac_zero_words may vary the keyframes (ultrafast alone turns it off).
      encoderParams: 'cabac=1',
    });
    if (!usesCabac(clip.pps)) throw new Error('fleet clip: the encoder did not use CABAC; keyframe variants would be invalid');
    const plan = planFrames('H264', clip, 'normal');
    if (plan.keyframes[0] !== 0) throw new Error('fleet clip: the first frame is not a keyframe');
    const normal = plan.frames.map((au, i) => toWire(au, plan.keyframes.includes(i)));
    for (const f of normal) if (f.keyframe) assertSliceLast(f);
    const pOnly = planFrames('H264', clip, 'no-keyframe').frames.map((au) => toWire(au, false));
    const frozen = normal[0] as WireFrame;
    // Each keyframe's position in the loop, for "the last keyframe at or before position p".
    const keyIndex = new Array<number>(normal.length);
    let last = 0;
    for (let i = 0; i < normal.length; i++) {
      if ((normal[i] as WireFrame).keyframe) last = i;
      keyIndex[i] = last;
    }
    return new H264Feed(spec, clip, normal, keyIndex, pOnly, frozen);
  }

  /** The global frame a session joining at `globalFrame` starts with: the keyframe opening the current GOP. */
  startFrame(globalFrame: number): number {
    const pos = globalFrame % this.frameCount;
    return globalFrame - pos + (this.keyIndex[pos] as number);
  }

  /** The interleaved bytes of global frame `f` in `mode`, stamped for one session. */
  frame(mode: StreamMode, f: number, cursor: RtpCursor, timestamp: number): { bytes: Buffer; packets: number } {
    const wire = mode === 'normal' ? (this.normal[f % this.frameCount] as WireFrame) : mode === 'frozen' ? this.frozen : (this.pOnly[f % this.pOnly.length] as WireFrame);
    const extra = mode === 'normal' && wire.keyframe ? ZERO_WORD.length * (Math.floor(f / this.frameCount) % VARIANTS) : 0;
    const out = Buffer.allocUnsafe(wire.bytes.length + extra);
    wire.bytes.copy(out);
    for (const o of wire.offsets) {
      out[o + 1] = cursor.channel;
      out.writeUInt16BE(cursor.sequence, o + 6);
      out.writeUInt32BE(timestamp >>> 0, o + 8);
      out.writeUInt32BE(cursor.ssrc >>> 0, o + 12);
      cursor.sequence = (cursor.sequence + 1) & 0xffff;
    }
    if (extra > 0) {
      for (let i = wire.bytes.length; i < out.length; i += ZERO_WORD.length) ZERO_WORD.copy(out, i);
      // The words extend the slice NAL unit, which ends the last packet: its length grows.
      const last = wire.offsets[wire.offsets.length - 1] as number;
      out.writeUInt16BE(out.readUInt16BE(last + 2) + extra, last + 2);
    }
    return { bytes: out, packets: wire.offsets.length };
  }

  /** An RTCP sender report (RFC 3550 §6.4.1) on the channel after the RTP one. */
  senderReport(cursor: RtpCursor, timestamp: number, packets: number, octets: number): Buffer {
    return interleavedFrame(cursor.channel + 1, senderReport(cursor.ssrc, timestamp, packets, octets));
  }
}

/** Packetizes one access unit once, with placeholder sequence/timestamp/SSRC patched per session. */
function toWire(au: Buffer[], keyframe: boolean): WireFrame {
  const { packets } = packetizeAccessUnit('H264', au, { payloadType: VIDEO_PT, sequence: 0, timestamp: 0, ssrc: 0 });
  const framed = packets.map((p) => interleavedFrame(0, p));
  const offsets: number[] = [];
  let at = 0;
  for (const f of framed) {
    offsets.push(at);
    at += f.length;
  }
  return { bytes: Buffer.concat(framed), offsets, keyframe };
}

/** The keyframe's last packet must end the IDR slice (single NAL or the FU-A end), or appending breaks it. */
function assertSliceLast(frame: WireFrame): void {
  const last = frame.offsets[frame.offsets.length - 1] as number;
  const payload = frame.bytes.subarray(last + 4 + 12);
  const type = (payload[0] ?? 0) & 0x1f;
  const fu = payload[1] ?? 0;
  const ok = type === 5 || (type === 28 && (fu & 0x1f) === 5 && (fu & 0x40) !== 0);
  if (!ok) throw new Error(`fleet clip: a keyframe's last RTP packet does not end its IDR slice (type ${type})`);
}

/** entropy_coding_mode_flag of a PPS (H.264 §7.3.2.2): after pic_parameter_set_id and seq_parameter_set_id. */
function usesCabac(pps: Buffer): boolean {
  const r = new BitReader(removeEmulationPrevention(pps.subarray(1)));
  r.ue();
  r.ue();
  return r.flag();
}
