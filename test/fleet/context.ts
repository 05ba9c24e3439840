/**
 * What the fleet's RTSP and MJPEG servers share: the one clip, the fault book, the frame clock,
 * the counters, and the camera directory (which path on which port is which camera).
 */
import type { FaultBook } from './fault-plan.js';
import type { H264Feed } from './h264-feed.js';
import type { FrameTicker } from './ticker.js';
import { FAULT_KINDS } from './types.js';
import type { CameraKind, FaultKind, FleetStats } from './types.js';

/** A camera as the servers see it: its id, and its offset on the fleet's frame clock. */
export interface CameraSlot {
  id: string;
  /** Frames this camera's live picture is ahead of the fleet clock, so cameras do not all show the same frame. */
  phase: number;
}

export interface FleetContext {
  feed: H264Feed;
  book: FaultBook;
  ticker: FrameTicker;
  stats: FleetStats;
  /** Zero of the fleet's frame clock (ms since the epoch). */
  epoch: number;
  fps: number;
  slowDelayMs: number;
  sessionTimeoutSec: number;
  /** The camera whose path number is `num`, when it lives on `port`. */
  camera(kind: CameraKind, num: number, port: number): CameraSlot | undefined;
}

export function newStats(): FleetStats {
  return {
    connections: 0,
    openConnections: 0,
    requests: 0,
    streamsStarted: 0,
    streaming: 0,
    framesSent: 0,
    bytesSent: 0,
    faultsServed: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
  };
}

/** The live frame a camera shows at `now`: frames since the fleet started, plus its phase. */
export function liveFrame(ctx: FleetContext, camera: CameraSlot, now: number): number {
  return Math.max(0, Math.floor(((now - ctx.epoch) * ctx.fps) / 1000)) + camera.phase;
}

let dateSecond = -1;
let dateText = '';

/** The `Date:` header value (RFC 9110 §5.6.7 IMF-fixdate), formatted once per second. */
export function httpDate(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
