/**
 * The camera list after parsing, validation and defaults: what the scheduler, the probe and the
 * store consume. Times are in milliseconds here; the YAML file speaks seconds.
 */
import type { VerifyLevel } from '../heartbeat.js';
import type { HttpKind, RtspTransport } from '../probe/types.js';

/**
 * `auto` (the default) lets the scheduler choose the evidence: a whole keyframe on the first
 * probe, on every state change and every few minutes, the first video packet in between
 * (DESIGN.md "Mind the cost of evidence"). An explicit level is honoured on every probe.
 */
export type VerifySetting = VerifyLevel | 'auto';

export interface StreamConfig {
  /** Stable slug: the key of the stream's history, MQTT entities and metrics. */
  id: string;
  name: string;
  /** As written, credentials included when the user put them there (never log it: redact). */
  url: string;
  username?: string;
  /** `${ENV_VAR}` references are already resolved. */
  password?: string;
  intervalMs: number;
  timeoutMs: number;
  verify: VerifySetting;
  enabled: boolean;
  transport: RtspTransport;
  kind: HttpKind;
  area?: string;
  tags: string[];
  tlsVerify: boolean;
}

export interface StreamsConfig {
  /** The default probe interval of streams that set none (old StreamPulse `heartbeat_seconds`). */
  heartbeatSeconds: number;
  /** IANA time zone name (for daily roll-ups and reports), when the file sets one. */
  timezone?: string;
  streams: StreamConfig[];
}

/** Result of loading a camera list: errors and warnings are ready-to-show, password-free lines. */
export type LoadResult =
  | { ok: true; config: StreamsConfig; warnings: string[] }
  | { ok: false; errors: string[] };

/** Result of validating the list edited in the Node-RED editor dialog. */
export type StreamListResult =
  | { ok: true; streams: StreamConfig[]; warnings: string[] }
  | { ok: false; errors: string[] };

/** Environment used to resolve `${VAR}` credentials (process.env by default). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The YAML shape after schema validation, before defaults (keys as in the file). */
export interface RawStream {
  id?: string;
  name: string;
  url: string;
  interval?: number;
  timeout?: number;
  verify?: VerifySetting;
  enabled?: boolean;
  username?: string;
  password?: string;
  area?: string;
  tags?: string[];
  transport?: RtspTransport;
  kind?: HttpKind;
  tls_verify?: boolean;
}

export interface RawStreamsFile {
  heartbeat_seconds?: number;
  timezone?: string;
  streams: RawStream[];
}
