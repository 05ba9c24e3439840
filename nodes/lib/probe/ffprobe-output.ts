/**
 * ffprobe's `-of json` output (streams plus packets and frames of a short window) turned into a
 * DecodeReport: codec, size, fps and bitrate from what actually arrived.
 */
import type { MediaInfo } from '../heartbeat.js';

/** What ffprobe decoded. `framesDecoded` counts video frames; `mediaBytes` all packets read. */
export interface DecodeReport extends MediaInfo {
  framesDecoded: number;
  mediaBytes: number;
}

export type ParsedOutput =
  | { kind: 'ok'; report: DecodeReport }
  | { kind: 'no_video'; streams: string }
  | { kind: 'unparsable'; reason: string };

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** ffprobe's JSON writer prints some numbers as strings ("size": "1234", "pts_time": "0.1"). */
function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const positive = (v: unknown): number | undefined => {
  const n = num(v);
  return n !== undefined && n > 0 ? n : undefined;
};

/** "10/1" → 10; "0/0" and the 90 kHz clock rate some demuxers report as a rate → undefined. */
function rate(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^(\d+)\/(\d+)$/.exec(v) : null;
  if (!m?.[1] || !m[2] || Number(m[2]) === 0) return undefined;
  const fps = Number(m[1]) / Number(m[2]);
  return fps > 0 && fps <= 1000 ? fps : undefined;
}

/**
 * Reads ffprobe's `-of json` output defensively: anything that is not the shape we asked for
 * becomes `unparsable` with a reason, never an exception or a silently empty report.
 */
export function parseFfprobeOutput(text: string): ParsedOutput {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return { kind: 'unparsable', reason: `not JSON (${text.length} bytes)` };
  }
  if (!isRecord(root)) return { kind: 'unparsable', reason: 'not a JSON object' };
  const streams = root.streams;
  if (!Array.isArray(streams) || !streams.every(isRecord)) return { kind: 'unparsable', reason: 'no "streams" list' };
  const entries = root.packets_and_frames ?? root.packets ?? root.frames ?? [];
  if (!Array.isArray(entries) || !entries.every(isRecord)) return { kind: 'unparsable', reason: 'bad packet/frame list' };

  const video = streams.find((s) => s.codec_type === 'video');
  if (!video) {
    const seen = streams.map((s) => `${str(s.codec_type) ?? 'unknown'} (${str(s.codec_name) ?? '?'})`).join(', ');
    return { kind: 'no_video', streams: seen };
  }
  const videoIndex = num(video.index);
  const audio = streams.find((s) => s.codec_type === 'audio');
  // Entries without a "type" come from a "packets" or "frames" list: infer from the list.
  const typeOf = (e: Json): unknown => e.type ?? (root.packets_and_frames ? undefined : root.packets ? 'packet' : 'frame');

  let mediaBytes = 0;
  const times: number[] = [];
  let timedBytes = 0;
  const frames: Json[] = [];
  for (const e of entries) {
    const isVideo = num(e.stream_index) === videoIndex;
    const type = typeOf(e);
    if (type === 'packet') {
      const size = num(e.size) ?? 0;
      mediaBytes += size;
      const t = num(e.pts_time) ?? num(e.dts_time);
      if (isVideo && t !== undefined) {
        times.push(t);
        timedBytes += size;
      }
    } else if (type === 'frame' && isVideo) {
      frames.push(e);
    }
  }

  // fps and bitrate from what actually arrived, not from what the stream header claims; the
  // header's rate is the fallback when too few packets carried timestamps.
  const distinct = [...new Set(times)].sort((a, b) => a - b);
  const first = distinct[0];
  const last = distinct.at(-1);
  const span = first !== undefined && last !== undefined ? last - first : 0;
  const interval = distinct.length > 1 && span > 0 ? span / (distinct.length - 1) : undefined;
  const measuredFps = interval ? 1 / interval : undefined;
  const fps = measuredFps ?? rate(video.avg_frame_rate) ?? rate(video.r_frame_rate);
  const bitrateKbps = interval ? Math.round((timedBytes * 8) / (times.length * interval) / 1000) : undefined;
  const firstFrame = frames[0];

  const report: DecodeReport = { framesDecoded: frames.length, mediaBytes };
  const codec = str(video.codec_name);
  const width = positive(video.width) ?? positive(firstFrame?.width);
  const height = positive(video.height) ?? positive(firstFrame?.height);
  if (codec) report.codec = codec;
  if (width) report.width = width;
  if (height) report.height = height;
  if (fps !== undefined && fps <= 1000) report.fps = Math.round(fps * 100) / 100;
  if (bitrateKbps !== undefined && bitrateKbps > 0) report.bitrateKbps = bitrateKbps;
  const audioCodec = audio ? str(audio.codec_name) : undefined;
  if (audioCodec) report.audio = audioCodec;
  return { kind: 'ok', report };
}
