/**
 * The one contract of StreamPulse: every probe of every protocol produces a `ProbeResult`; the
 * stream-probe node adds `health` and emits it as `msg.payload` (a `Heartbeat`) with
 * `msg.topic = stream.id`. Store, publish, dashboard and API all read this one shape.
 */

/** Why a probe ended. Only `ok` means video actually arrived. */
export const PROBE_CODES = [
  'ok',
  'timeout',
  'refused',
  'unreachable',
  'dns',
  'tls',
  'auth_failed',
  'not_found',
  'server_error',
  'protocol_error',
  'no_video',
  'no_frame',
  'bad_frame',
  'frozen',
] as const;
export type ProbeCode = (typeof PROBE_CODES)[number];

/** How much evidence of video a probe must collect before it says `ok`. */
export const VERIFY_LEVELS = ['packet', 'keyframe', 'decode'] as const;
export type VerifyLevel = (typeof VERIFY_LEVELS)[number];

/** The protocol a probe actually spoke (an http:// URL becomes mjpeg, jpeg or hls). */
export const PROTOCOLS = ['rtsp', 'rtsps', 'mjpeg', 'jpeg', 'hls'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const HEALTH_STATES = ['online', 'degraded', 'offline', 'unknown'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

export interface StreamInfo {
  id: string;
  name: string;
  /** Always credential-free (see util/redact). */
  url: string;
  protocol: Protocol;
}

export interface Timings {
  /** TCP (and TLS) connection established. */
  connectMs?: number;
  /** First byte of the first response (RTSP OPTIONS/DESCRIBE, HTTP headers). */
  firstResponseMs?: number;
  /** The evidence the verify level asked for (first video packet, whole keyframe, decoded frame). */
  firstFrameMs?: number;
}

export interface MediaInfo {
  codec?: string;
  width?: number;
  height?: number;
  fps?: number;
  bitrateKbps?: number;
  /** Audio codec when the stream also carries audio. */
  audio?: string;
}

/**
 * What a probe saw, kept so the next probe of the same stream can compare (frozen picture,
 * stale HLS playlist). Small and free of secrets.
 */
export interface Evidence {
  level: VerifyLevel;
  /** Bytes of media read (RTP payload, JPEG, segment) to reach the evidence. */
  mediaBytes: number;
  /** SHA-1 of the keyframe / JPEG, for frozen-picture detection across probes. */
  frameDigest?: string;
  /** HLS: the media sequence number of the newest segment and when it was first seen. */
  hlsSequence?: { value: number; firstSeen: string };
}

/** The result of one probe: a Heartbeat without its health verdict. */
export interface ProbeResult {
  stream: StreamInfo;
  /** ISO-8601 UTC time of probe start. */
  ts: string;
  ok: boolean;
  code: ProbeCode;
  /** Human-readable, never contains a password. */
  message: string;
  /** Probe start to evidence (or to failure). */
  latencyMs: number;
  timings: Timings;
  media?: MediaInfo;
  /** Camera `Date:` header minus our clock, when the camera sent one. */
  clockSkewMs?: number;
  evidence?: Evidence;
}

export interface Health {
  state: HealthState;
  /** ISO-8601 UTC time the current state began. */
  since: string;
  /** True on the heartbeat that changed the state. */
  changed: boolean;
  failStreak: number;
  flapping: boolean;
}

export interface Heartbeat extends ProbeResult {
  health: Health;
}
