/**
 * Waits on a playing RTSP session for the evidence the verify level asks for: the first video RTP
 * packet with a valid payload (`packet`), or a whole keyframe (`keyframe`, also the first step of
 * `decode`). RTP comes either interleaved on the control connection or over UDP.
 */
import { abortReason } from '../../util/deadline.js';
import { VideoDepacketizer } from '../depacketizer.js';
import { depacketizerOptionsFor } from '../video-track.js';
import type { DepacketizerEvent } from '../depacketizer.js';
import { isRtcp, parseRtp } from '../rtp.js';
import type { VideoTrack } from '../sdp.js';
import type { Outcome, ProbeContext } from '../types.js';
import type { RtspConnection } from './connection.js';
import type { LowerTransport, UdpPair } from './transport.js';

export interface EvidenceSource {
  video: VideoTrack;
  conn: RtspConnection;
  transport: LowerTransport;
  interleaved?: [number, number];
  udp?: UdpPair;
  /** How long to wait for the evidence before calling it `no_frame`. */
  waitMs: number;
}

export function collectEvidence(ctx: ProbeContext, src: EvidenceSource): Promise<Outcome> {
  const { video, conn } = src;
  const depacketizer = new VideoDepacketizer(depacketizerOptionsFor(video));
  const rtpChannel = src.interleaved?.[0] ?? 0;
  let packets = 0;
  let firstPacketAt: number | undefined;

  return new Promise<Outcome>((resolve, reject) => {
    const finish = (outcome: Outcome | undefined, err?: unknown) => {
      clearTimeout(timer);
      conn.onFrame = () => {};
      src.udp?.rtp.removeAllListeners('message');
      ctx.signal.removeEventListener('abort', onAbort);
      if (outcome) resolve(outcome);
      else reject(err);
    };
    const onAbort = () => finish(undefined, abortReason(ctx.signal));
    const onRtp = (buf: Buffer) => {
      if (isRtcp(buf)) return;
      const packet = parseRtp(buf);
      if (!packet || packet.payloadType !== video.payloadType) return;
      packets++;
      firstPacketAt ??= ctx.deadline.elapsed();
      const event = depacketizer.push(packet);
      if (event) {
        const outcome = judge(ctx, video.codec, event, depacketizer.videoPayloadBytes);
        if (outcome) finish(outcome);
      }
    };
    const timer = setTimeout(() => finish(noFrame(ctx, src, packets, depacketizer.videoPayloadBytes, firstPacketAt)), src.waitMs);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    conn.whenFailed.catch((err: unknown) => finish(undefined, err));
    if (src.transport === 'tcp') {
      conn.onFrame = (channel, payload) => {
        if (channel === rtpChannel) onRtp(payload);
      };
    } else {
      src.udp?.rtp.on('message', onRtp);
    }
  });
}

/** Turns a depacketizer event into a verdict, or undefined when the level needs more. */
function judge(ctx: ProbeContext, codec: string, event: DepacketizerEvent, mediaBytes: number): Outcome | undefined {
  if (event.kind === 'packet' && ctx.verify !== 'packet') return undefined;
  ctx.mark('firstFrameMs');
  if (event.kind === 'packet' || ctx.verify === 'packet') {
    return { code: 'ok', message: `${codec} video packets are flowing`, evidence: { level: 'packet', mediaBytes } };
  }
  const media = ctx.facts.media ?? {};
  if (event.width !== undefined && event.height !== undefined) {
    media.width = event.width;
    media.height = event.height;
  }
  if (event.fps !== undefined) media.fps = event.fps;
  ctx.facts.media = media;
  const evidence = { level: ctx.verify, mediaBytes, frameDigest: event.digest };
  const size = media.width ? ` ${media.width}x${media.height}` : '';
  if (ctx.previous?.frameDigest === event.digest) {
    return { code: 'frozen', message: `the keyframe is identical to the previous probe's: picture frozen`, evidence };
  }
  return { code: 'ok', message: `whole ${codec}${size} keyframe received (${kib(event.bytes)})`, evidence };
}

function noFrame(ctx: ProbeContext, src: EvidenceSource, packets: number, bytes: number, firstAt: number | undefined): Outcome {
  const waited = `${(src.waitMs / 1000).toFixed(1)} s`;
  const evidence = { level: ctx.verify, mediaBytes: bytes };
  if (packets === 0) {
    const hint = src.transport === 'udp' ? ' over UDP (a firewall or NAT in the way?)' : '';
    return { code: 'no_frame', message: `PLAY accepted but no video RTP arrived${hint} within ${waited}`, evidence };
  }
  return {
    code: 'no_frame',
    message: `${packets} video packets (${kib(bytes)}, first after ${firstAt ?? 0} ms) but no whole keyframe within ${waited}`,
    evidence,
  };
}

function kib(bytes: number): string {
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} B`;
}
