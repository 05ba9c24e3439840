/**
 * The vocabulary of the camera-fleet simulator: cameras, the faults they play on a schedule, and
 * the truth log a benchmark scores the monitor's verdicts against.
 */

/** What a camera does wrong during a fault interval (see README-style notes in fleet.ts). */
export const FAULT_KINDS = [
  /** The connection is reset before any byte is answered: the probe says `refused`. */
  'down',
  /** Every answer is held back for `slowDelayMs` (beyond any probe timeout): `timeout`. */
  'slow',
  /** 401 with a challenge to every request, whatever the credentials: `auth_failed`. */
  'auth',
  /** The same keyframe (RTSP) or JPEG (MJPEG) byte for byte, again and again: `frozen` from the 2nd probe. */
  'frozen',
  /** RTSP: P-frames only, never an IDR nor parameter sets; MJPEG: headers, then no part: `no_frame`. */
  'noframes',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type CameraKind = 'rtsp' | 'mjpeg';

/** One fault of one camera, active for `start <= t < end` (ms since the epoch). */
export interface FaultInterval {
  camera: string;
  kind: FaultKind;
  start: number;
  end: number;
}

export interface FleetCamera {
  /** Also a valid StreamPulse stream id (`cam-00001`, `mjpeg-0001`). */
  id: string;
  name: string;
  url: string;
  kind: CameraKind;
  port: number;
}

/** Options of `faultPlan()` other than the camera list (startFleet supplies its own). */
export interface FaultPlanSpec {
  /** Length of the planned window (ms). */
  durationMs: number;
  /** Mean rate of outage starts per camera and hour (a Poisson process, paused after each outage). */
  outagesPerCameraHour: number;
  seed: number;
  /** Start of the window (ms since the epoch; default now). */
  startMs?: number;
  /** Kinds to draw from, uniformly (default all of FAULT_KINDS). */
  kinds?: readonly FaultKind[];
  /** Length of one outage, drawn uniformly from [min, max] (defaults 30 s and 180 s). */
  minOutageMs?: number;
  maxOutageMs?: number;
  /** Healthy time after each outage before the next may start (default 60 s), so recoveries are visible. */
  minGapMs?: number;
}

export interface FleetOptions {
  rtsp: number;
  mjpeg?: number;
  /** RTSP listening sockets the cameras are spread over, round robin (default 1 per 2,500 cameras, 1..8). */
  ports?: number;
  /** MJPEG listening sockets (default 1). */
  mjpegPorts?: number;
  /** First port to listen on (RTSP ports first, MJPEG after); 0 (default) lets the OS pick each. */
  portBase?: number;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** Frame rate of every camera (default 10). */
  fps?: number;
  /** Keyframe interval in frames (default 10). */
  gopFrames?: number;
  width?: number;
  height?: number;
  /** Length of the shared clip in seconds (default 6); keyframes repeat after seconds × 241 variants. */
  clipSeconds?: number;
  /** Fault intervals, or a plan spec from which `faultPlan()` draws them for this fleet's cameras. */
  schedule?: readonly FaultInterval[] | FaultPlanSpec;
  /** How long a `slow` camera holds back each answer (default 60 s). */
  slowDelayMs?: number;
  /** RTSP session timeout announced and enforced (default 60 s, RFC 2326 §12.37). */
  sessionTimeoutSec?: number;
}

export interface FleetStats {
  connections: number;
  openConnections: number;
  requests: number;
  /** PLAY requests that started a stream (RTSP) or MJPEG responses that started streaming. */
  streamsStarted: number;
  /** Streams sending right now. */
  streaming: number;
  framesSent: number;
  bytesSent: number;
  /** Requests or connections answered with a fault, per kind. */
  faultsServed: Record<FaultKind, number>;
}

/** The schedule as it was served: each camera's fault intervals, exact to the millisecond. */
export interface TruthLog {
  startedAt: number;
  intervals: FaultInterval[];
}
