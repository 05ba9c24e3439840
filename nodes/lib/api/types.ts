import type { StreamConfig } from '../config/types.js';
import type { ProbeCode } from '../heartbeat.js';
import type { Db } from '../store/db.js';
import type { WriterStats } from '../store/writer.js';

/** One HTTP request as the Node-RED wiring hands it over (no framework objects). */
export interface ApiRequest {
  method: string;
  /**
   * Relative to the configured base and without the query string, e.g. '/api/streams'; '/' is
   * the base with its slash, '' the base without it (answered with a redirect to add it).
   */
  path: string;
  query: URLSearchParams;
  /** Header names lower-cased, as Node's http module gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw request body (the caller bounds its size); absent for GET and HEAD. */
  body?: Buffer;
  /** The base the request came in under, e.g. '/streampulse' (for the relative redirect). */
  base?: string;
  /** Aborted when the client goes away before the answer is sent (stops a preview's ffmpeg). */
  signal?: AbortSignal;
}

/**
 * The answer. A string body is sent as is; an AsyncIterable body is streamed chunk by chunk
 * (the caller should await the response's drain between chunks, call `return()` on the iterator
 * when the client goes away, and destroy the response if iteration throws: the status line is
 * already sent by then).
 */
export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer | AsyncIterable<string>;
}

/** The camera list of the `streampulse-cameras` config node, credentials included. */
export interface CameraList {
  streams: StreamConfig[];
  /** IANA zone of the streams file, when it sets one. */
  timezone?: string;
  /** Absolute path of the streams file, when the list comes from one (then it is editable). */
  file?: string;
}

/** Probes and failures of one stream since the node started. */
export interface StreamProbeCounts {
  probes: number;
  failures: Readonly<Partial<Record<ProbeCode, number>>>;
}

/** In-process counters the store node keeps since start (see counters.ts). */
export interface ProbeCounters {
  streams: ReadonlyMap<string, StreamProbeCounts>;
  writer: WriterStats;
}

export interface ApiContext {
  /** A read connection (the writer has its own). */
  db: Db;
  /** ms since the epoch. */
  now(): number;
  /** Database file plus WAL size in bytes. */
  storeBytes(): Promise<number>;
  counters(): ProbeCounters;
  /** IANA zone the dashboard shows times in (times in responses are always UTC). */
  timezone?: string;
  /**
   * How old the fleet-wide uptimes of /api/streams and /metrics may be before they are
   * recomputed in the background (default 30 s, and at least 5 × what the last computation took;
   * 0 computes them for every request). See fleet-cache.ts.
   */
  uptimeMaxAgeMs?: number;
  /**
   * How far the roll-up job has summed the history (ms epoch), when the caller runs it: fleet
   * uptimes are then read from the roll-ups (store/fleet-rolled.ts), ~1000× cheaper than raw.
   */
  rolledUpTo?: () => number | undefined;
  /** How long a request waits for the first fleet uptimes before answering without them (default 2 s). */
  uptimeWaitMs?: number;
  /** The camera list with credentials (previews, the streams file editor); undefined when none is connected. */
  cameras?: () => CameraList | undefined;
  /** The token writes must carry in `X-StreamPulse-CSRF`; without one every write is refused. */
  csrfToken?: string;
  /** StreamPulse's version (package.json), for api/info. */
  version?: string;
  /** The stream-probe setting: failed probes in a row before a camera is offline (default 2). */
  failuresToOffline?: number;
  /** Directory of the dashboard's files (index.html, ui/*); without it the page is not served. */
  staticDir?: string;
  /** Preview bounds: the time a preview may take (default 8 s) and its concurrency slots. */
  previewTimeoutMs?: number;
  previewSlots?: PreviewSlotsLike;
  /** ffmpeg binary for RTSP/HLS previews (default `ffmpeg` on PATH). */
  ffmpegPath?: string;
}

/** At most N previews at once (see preview.ts); `tryAcquire` gives a release function or undefined when full. */
export interface PreviewSlotsLike {
  tryAcquire(): (() => void) | undefined;
}
