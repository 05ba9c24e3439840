import type { Evidence, MediaInfo, ProbeCode, Protocol, Timings, VerifyLevel } from '../heartbeat.js';
import type { Deadline } from '../util/deadline.js';

/** Which transport an RTSP probe may use: `auto` tries TCP interleaving, then UDP on 461. */
export type RtspTransport = 'auto' | 'tcp' | 'udp';
/** Forces the meaning of an http(s) URL; `auto` decides from the response Content-Type. */
export type HttpKind = 'auto' | 'mjpeg' | 'jpeg' | 'hls';

/** What to probe. Credentials may sit in the URL or in the separate fields (fields win). */
export interface ProbeTarget {
  url: string;
  id?: string;
  name?: string;
  username?: string;
  password?: string;
  verify?: VerifyLevel;
  transport?: RtspTransport;
  kind?: HttpKind;
  /** Check the camera's TLS certificate (most cameras are self-signed, so off by default). */
  tlsVerify?: boolean;
}

export interface ProbeOptions {
  /** Overall deadline of the probe in ms (default 10,000). */
  timeoutMs?: number;
  /** Aborting rejects the probe with the signal's reason and releases everything it opened. */
  signal?: AbortSignal;
  /** Evidence of the previous probe of this stream (frozen picture, stale HLS). */
  previous?: Evidence;
  /** ffprobe binary for `decode` (default: `ffprobe` on PATH, else ffprobe-static). */
  ffprobePath?: string;
  /** Wall clock for `ts` and clock skew (injectable for tests). */
  now?: () => number;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Everything a protocol module needs for one probe; built once by probe/index.ts. */
export interface ProbeContext {
  /** The URL without userinfo (credentials are in `credentials`). */
  url: URL;
  credentials?: Credentials;
  verify: VerifyLevel;
  transport: RtspTransport;
  kind: HttpKind;
  tlsVerify: boolean;
  deadline: Deadline;
  signal: AbortSignal;
  previous?: Evidence;
  ffprobePath?: string;
  /** Wall clock (ms since epoch). */
  now: () => number;
  /** Records a timing once (the first call for a key wins). */
  mark: (key: keyof Timings) => void;
  /**
   * Facts learned on the way (protocol spoken, codec from the SDP, camera clock), kept even when
   * the probe later fails, so a `no_frame` still tells which codec the camera announced.
   */
  facts: Facts;
}

export interface Facts {
  protocol?: Protocol;
  media?: MediaInfo;
  clockSkewMs?: number;
}

/** The verdict a protocol module reaches; facts travel separately in `ProbeContext.facts`. */
export interface Outcome {
  code: ProbeCode;
  message: string;
  evidence?: Evidence;
}

/**
 * Protocol modules return an Outcome for every verdict they reach (including `no_frame`,
 * `bad_frame`, `frozen`) and throw `ProbeError` for failures that end the exchange (network,
 * auth, status codes); index.ts turns both into a ProbeResult.
 */
export type ProtocolProbe = (ctx: ProbeContext) => Promise<Outcome>;
