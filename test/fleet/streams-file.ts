/**
 * The fleet as a StreamPulse streams file (nodes/lib/config/streams-format.md), so the monitor
 * under test reads the same camera list the simulator serves.
 */
import type { FleetCamera } from './types.js';

export interface StreamsFileOptions {
  /** `heartbeat_seconds`: the probe interval of every camera (default 15). */
  heartbeatSeconds?: number;
  /** Per-stream `timeout` in seconds (default: left out, the file format's default applies). */
  timeoutSeconds?: number;
  /** Per-stream `verify` (default: left out, i.e. `auto`). */
  verify?: 'auto' | 'packet' | 'keyframe' | 'decode';
}

export function streamsYaml(cameras: readonly FleetCamera[], options: StreamsFileOptions = {}): string {
  const rtsp = cameras.filter((c) => c.kind === 'rtsp').length;
  const lines = [
    `# StreamPulse camera-fleet simulator: ${rtsp} RTSP + ${cameras.length - rtsp} MJPEG cameras.`,
    '# Written by test/fleet/fleet-cli.ts; valid only while that simulator runs.',
    `heartbeat_seconds: ${options.heartbeatSeconds ?? 15}`,
    'streams:',
  ];
  for (const camera of cameras) {
    lines.push(`  - id: ${camera.id}`, `    name: ${quote(camera.name)}`, `    url: ${quote(camera.url)}`);
    if (camera.kind === 'mjpeg') lines.push('    kind: mjpeg');
    if (options.timeoutSeconds !== undefined) lines.push(`    timeout: ${options.timeoutSeconds}`);
    if (options.verify !== undefined) lines.push(`    verify: ${options.verify}`);
    lines.push(`    tags: [fleet, ${camera.kind}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** A YAML double-quoted scalar (YAML 1.2 §7.3.1): JSON string syntax is a subset of it. */
function quote(text: string): string {
  return JSON.stringify(text);
}
