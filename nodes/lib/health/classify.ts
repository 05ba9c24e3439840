import type { ProbeResult } from '../heartbeat.js';

/**
 * What a probe result says about a stream's health:
 * - `good`: video arrived (and in time, when a slow-frame limit is set);
 * - `partial`: the camera answered but the picture is not right (`no_frame`, `frozen`,
 *   `bad_frame`, or a first frame slower than `slowFrameMs`) — `degraded`, never `offline`;
 * - `bad`: no usable answer at all — counts towards `offline`.
 */
export type ResultKind = 'good' | 'partial' | 'bad';

export function classify(result: ProbeResult, slowFrameMs?: number): ResultKind {
  switch (result.code) {
    case 'ok': {
      const frameMs = result.timings.firstFrameMs ?? result.latencyMs;
      return slowFrameMs !== undefined && frameMs > slowFrameMs ? 'partial' : 'good';
    }
    case 'no_frame':
    case 'frozen':
    case 'bad_frame':
      return 'partial';
    case 'timeout':
    case 'refused':
    case 'unreachable':
    case 'dns':
    case 'tls':
    case 'auth_failed':
    case 'not_found':
    case 'server_error':
    case 'protocol_error':
    case 'no_video':
      return 'bad';
  }
}
