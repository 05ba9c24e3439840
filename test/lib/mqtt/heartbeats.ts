/** Heartbeat factory shared by the MQTT tests. */
import type { HealthState, Heartbeat, ProbeCode } from '../../../nodes/lib/heartbeat.js';

export interface HeartbeatSpec {
  id?: string;
  name?: string;
  url?: string;
  protocol?: Heartbeat['stream']['protocol'];
  ts?: string;
  code?: ProbeCode;
  state?: HealthState;
  message?: string;
  latencyMs?: number;
  media?: Heartbeat['media'];
  clockSkewMs?: number;
  flapping?: boolean;
}

export function heartbeat(spec: HeartbeatSpec = {}): Heartbeat {
  const code = spec.code ?? 'ok';
  const ts = spec.ts ?? '2026-03-01T10:00:00.000Z';
  const hb: Heartbeat = {
    stream: {
      id: spec.id ?? 'gate',
      name: spec.name ?? 'Gate',
      url: spec.url ?? 'rtsp://viewer:***@10.0.0.5:554/stream1',
      protocol: spec.protocol ?? 'rtsp',
    },
    ts,
    ok: code === 'ok',
    code,
    message: spec.message ?? (code === 'ok' ? 'H264 video packets are flowing' : `probe failed: ${code}`),
    latencyMs: spec.latencyMs ?? 120,
    timings: { connectMs: 3, firstResponseMs: 10, firstFrameMs: 120 },
    health: {
      state: spec.state ?? (code === 'ok' ? 'online' : 'offline'),
      since: '2026-03-01T09:00:00.000Z',
      changed: false,
      failStreak: code === 'ok' ? 0 : 2,
      flapping: spec.flapping ?? false,
    },
  };
  if (spec.media) hb.media = spec.media;
  if (spec.clockSkewMs !== undefined) hb.clockSkewMs = spec.clockSkewMs;
  return hb;
}
