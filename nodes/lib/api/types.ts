import type { ProbeCode } from '../heartbeat.js';
import type { Db } from '../store/db.js';
import type { WriterStats } from '../store/writer.js';

/** One HTTP request as the Node-RED wiring hands it over (no framework objects). */
export interface ApiRequest {
  method: string;
  /** Relative to the configured base and without the query string, e.g. '/api/streams'. */
  path: string;
  query: URLSearchParams;
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
  body: string | AsyncIterable<string>;
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
}
