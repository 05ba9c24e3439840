/**
 * What the SDP tells about a video track before any RTP arrives: the depacketizer settings and
 * the picture size from the out-of-band parameter sets (sprop-*).
 */
import type { DepacketizerOptions, VideoSize } from './depacketizer.js';
import { H264_NAL, h264NalType, parseH264Sps, parseSpropParameterSets } from './h264.js';
import { H265_NAL, h265NalType, parseH265Sps, parseH265SpropSets } from './h265.js';
import type { VideoTrack } from './sdp.js';

/** Depacketizer options for the track an SDP announced (sprop-* for the size). */
export function depacketizerOptionsFor(track: VideoTrack): DepacketizerOptions {
  const codec = track.codec.toUpperCase();
  const donDiff = Number.parseInt(track.fmtp['sprop-max-don-diff'] ?? '0', 10);
  return {
    codec,
    payloadType: track.payloadType,
    parameterSets: parameterSetsFor(codec, track.fmtp),
    ...(codec === 'H265' && donDiff > 0 ? { donl: true } : {}),
  };
}

/** The out-of-band parameter sets of an fmtp line (RFC 6184 §8.1, RFC 7798 §7.1). */
export function parameterSetsFor(codec: string, fmtp: Record<string, string>): Buffer[] {
  const upper = codec.toUpperCase();
  if (upper === 'H264') return parseSpropParameterSets(fmtp['sprop-parameter-sets'] ?? '');
  if (upper === 'H265') return parseH265SpropSets(fmtp);
  return [];
}

/** Width, height (and fps) from parameter sets, e.g. to report the size before any frame arrives. */
export function sizeFromParameterSets(codec: string, sets: Buffer[]): VideoSize | undefined {
  const upper = codec.toUpperCase();
  for (const set of sets) {
    const info =
      upper === 'H264' && h264NalType(set) === H264_NAL.SPS
        ? parseH264Sps(set)
        : upper === 'H265' && h265NalType(set) === H265_NAL.SPS
          ? parseH265Sps(set)
          : undefined;
    if (info) return { width: info.width, height: info.height, ...(info.fps !== undefined ? { fps: info.fps } : {}) };
  }
  return undefined;
}
