/**
 * Collects the evidence the verify level asks for from a session's video RTP: the first video
 * packet with a valid payload (`packet`), or a whole keyframe (`keyframe`, also the first step of
 * `decode`). RTP comes either interleaved on the control connection or over UDP.
 *
 * The collector listens from the moment it is created, which is before PLAY is sent: a camera may
 * push its cached keyframe in the same TCP segment as the PLAY answer, or RTP over UDP may overtake
 * the answer, and a listener attached only after the answer was parsed would drop those frames and
 * cost the probe a whole GOP. The verdict is handed out only by wait(), which the session calls
 * once PLAY succeeded, so early RTP never turns a failed PLAY into `ok`.
 */
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
}

export class EvidenceCollector {
  private readonly depacketizer: VideoDepacketizer;
  private readonly rtpChannel: number;
  private packets = 0;
  private firstPacketAt: number | undefined;
  /** The verdict, once the RTP gave one (possibly before PLAY was answered). */
  private outcome: Outcome | undefined;
  /** Set while wait() is pending. */
  private deliver: ((outcome: Outcome) => void) | undefined;
  private readonly onUdp = (buf: Buffer): void => this.onRtp(buf);

  constructor(
    private readonly ctx: ProbeContext,
    private readonly src: EvidenceSource,
  ) {
    this.depacketizer = new VideoDepacketizer(depacketizerOptionsFor(src.video));
    this.rtpChannel = src.interleaved?.[0] ?? 0;
    if (src.transport === 'tcp') {
      src.conn.onFrame = (channel, payload) => {
        if (channel === this.rtpChannel) this.onRtp(payload);
      };
    } else {
      src.udp?.rtp.on('message', this.onUdp);
    }
  }

  /**
   * The verdict: at once when the RTP already gave one, else when it does, `no_frame` after
   * `waitMs`, or a rejection when the connection fails (or the probe is aborted: the connection
   * watches the signal).
   */
  wait(waitMs: number): Promise<Outcome> {
    if (this.outcome) return Promise.resolve(this.outcome);
    return new Promise<Outcome>((resolve, reject) => {
      const timer = setTimeout(() => settle(this.noFrame(waitMs)), waitMs);
      const settle = (outcome: Outcome | undefined, err?: unknown): void => {
        clearTimeout(timer);
        this.deliver = undefined;
        this.stop();
        if (outcome) resolve(outcome);
        else reject(err);
      };
      this.deliver = (outcome) => settle(outcome);
      this.src.conn.whenFailed.catch((err: unknown) => settle(undefined, err));
    });
  }

  /** Stops listening (idempotent); the session calls it on every path. */
  stop(): void {
    this.src.conn.onFrame = ignoreFrame;
    this.src.udp?.rtp.removeListener('message', this.onUdp);
  }

  private onRtp(buf: Buffer): void {
    if (this.outcome || isRtcp(buf)) return;
    const packet = parseRtp(buf);
    if (!packet || packet.payloadType !== this.src.video.payloadType) return;
    this.packets++;
    this.firstPacketAt ??= this.ctx.deadline.elapsed();
    const event = this.depacketizer.push(packet);
    if (!event) return;
    const outcome = judge(this.ctx, this.src.video.codec, event, this.depacketizer.videoPayloadBytes);
    if (!outcome) return;
    this.outcome = outcome;
    this.stop();
    this.deliver?.(outcome);
  }

  private noFrame(waitMs: number): Outcome {
    const { ctx, src, packets } = this;
    const bytes = this.depacketizer.videoPayloadBytes;
    const waited = `${(waitMs / 1000).toFixed(1)} s`;
    const evidence = { level: ctx.verify, mediaBytes: bytes };
    if (packets === 0) {
      const hint = src.transport === 'udp' ? ' over UDP (a firewall or NAT in the way?)' : '';
      return { code: 'no_frame', message: `PLAY accepted but no video RTP arrived${hint} within ${waited}`, evidence };
    }
    return {
      code: 'no_frame',
      message: `${packets} video packets (${kib(bytes)}, first after ${this.firstPacketAt ?? 0} ms) but no whole keyframe within ${waited}`,
      evidence,
    };
  }
}

const ignoreFrame = (): void => {};

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

function kib(bytes: number): string {
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} B`;
}
