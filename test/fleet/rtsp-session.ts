/**
 * One RTSP session of a simulated camera: set up on an interleaved channel pair, then playing
 * frames of the shared clip on the fleet's frame clock. A session joins at the keyframe that opens
 * the camera's current GOP (as cameras with a short GOP and a GOP cache do), so a client has its
 * first IDR at once, and sends one frame per tick after that.
 */
import { liveFrame } from './context.js';
import type { CameraSlot, FleetContext } from './context.js';
import type { RtpCursor, StreamMode } from './h264-feed.js';
import type { TickedStream } from './ticker.js';

/** Bytes queued on a socket beyond which a live camera drops frames rather than buffer them. */
const CONGESTED_BYTES = 256 * 1024;

export interface SessionHost {
  /** Writes the buffers in one go (one writev: the syscalls, not the bytes, are what loopback costs). */
  write(chunks: Buffer[]): void;
  backlog(): number;
  /** The session expired without keep-alive: the camera closes the connection. */
  expire(): void;
}

export class PlaySession implements TickedStream {
  readonly cursor: RtpCursor;
  private mode: StreamMode = 'normal';
  private first = 0;
  private next = 0;
  private firstTimestamp = 0;
  private packets = 0;
  private octets = 0;
  private lastActivity: number;
  private playing = false;

  constructor(
    readonly id: string,
    channel: number,
    private readonly ctx: FleetContext,
    private readonly camera: CameraSlot,
    private readonly host: SessionHost,
    now: number,
  ) {
    this.cursor = { channel, ssrc: randomUint32(), sequence: randomUint32() & 0xffff };
    this.lastActivity = now;
  }

  /** Any request naming the session, or RTCP from the client, keeps it alive (RFC 2326 §12.37). */
  touch(now: number): void {
    this.lastActivity = now;
  }

  /** Picks where the stream starts; returns what PLAY announces in RTP-Info (RFC 2326 §12.33). */
  prepare(mode: StreamMode, now: number): { sequence: number; rtptime: number } {
    this.mode = mode;
    const live = liveFrame(this.ctx, this.camera, now);
    this.first = mode === 'normal' ? this.ctx.feed.startFrame(live) : live;
    this.next = this.first;
    this.firstTimestamp = randomUint32();
    return { sequence: this.cursor.sequence, rtptime: this.firstTimestamp };
  }

  /**
   * Joins the frame clock: the first frame (the GOP's keyframe) goes out on its next tick, within
   * one frame interval, as an encoder's next frame would. Not at once: bytes written right behind
   * the PLAY response reach the client in the same read, before it has even seen that PLAY worked.
   */
  start(now: number): void {
    if (this.playing) return;
    this.playing = true;
    this.lastActivity = now;
    this.ctx.stats.streamsStarted++;
    this.ctx.stats.streaming++;
    this.ctx.ticker.add(this);
  }

  tick(now: number): void {
    if (!this.playing) return;
    if (now - this.lastActivity > this.ctx.sessionTimeoutSec * 1000) {
      this.stop();
      this.host.expire();
      return;
    }
    const f = this.next++;
    if (this.host.backlog() > CONGESTED_BYTES) return;
    const timestamp = (this.firstTimestamp + Math.round(((f - this.first) * 90000) / this.ctx.fps)) >>> 0;
    const { bytes, packets } = this.ctx.feed.frame(this.mode, f, this.cursor, timestamp);
    // A sender report with the first frame and about once a second (RFC 3550 §6.2 leaves the pace to us).
    if ((f - this.first) % Math.max(1, Math.round(this.ctx.fps)) === 0) {
      this.host.write([this.ctx.feed.senderReport(this.cursor, timestamp, this.packets, this.octets), bytes]);
    } else {
      this.host.write([bytes]);
    }
    this.packets += packets;
    this.octets += bytes.length - packets * 16;
    this.ctx.stats.framesSent++;
    this.ctx.stats.bytesSent += bytes.length;
  }

  /** PAUSE, TEARDOWN or a closed connection: leaves the frame clock. */
  stop(): void {
    if (!this.playing) return;
    this.playing = false;
    this.ctx.stats.streaming--;
    this.ctx.ticker.remove(this);
  }
}

function randomUint32(): number {
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}
