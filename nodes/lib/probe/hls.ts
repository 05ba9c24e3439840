/**
 * HLS (RFC 8216, https://www.rfc-editor.org/rfc/rfc8216): parse master and media playlists, judge
 * whether a live playlist still advances, and look at the first bytes of its newest segment, so
 * `ok` means a fresh segment with a video stream really arrived, not just a playlist file.
 */
import type { Evidence } from '../heartbeat.js';
import type { Outcome, ProbeContext } from './types.js';
import type { HttpClient, HttpResponse } from './http.js';
import { describeStart } from './jpeg.js';
import { findFmp4Video, isFmp4 } from './fmp4.js';
import { isMpegTs, parseTsSegment } from './mpegts.js';
import { ProbeError } from '../util/errors.js';
import { redactText } from '../util/redact.js';

/** Largest playlist we read. */
const PLAYLIST_LIMIT = 1024 * 1024;
/** Bytes of the newest segment we read: enough for PAT, PMT and the first keyframe's SPS. */
export const SEGMENT_SAMPLE_BYTES = 256 * 1024;

export interface Variant {
  uri: string;
  bandwidth?: number;
  width?: number;
  height?: number;
  codecs?: string;
}
export interface MasterPlaylist {
  kind: 'master';
  variants: Variant[];
}
export interface Segment {
  uri: string;
  /** Seconds (EXTINF). */
  duration: number;
  sequence: number;
  /** ms since the epoch, from EXT-X-PROGRAM-DATE-TIME or carried forward by durations. */
  programDateTime?: number;
}
export interface MediaPlaylist {
  kind: 'media';
  targetDuration: number;
  mediaSequence: number;
  segments: Segment[];
  endList: boolean;
  /** EXT-X-MAP init section (fMP4). */
  map?: string;
}
export type Playlist = MasterPlaylist | MediaPlaylist;

/** RFC 8216 §4.2 attribute list: NAME=value pairs, values quoted (may hold commas) or not. */
export function parseAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([A-Z0-9-]+)\s*=\s*("[^"]*"|[^,]*)\s*,?/gy;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const value = m[2] ?? '';
    out[m[1] ?? ''] = value.startsWith('"') ? value.slice(1, -1) : value.trim();
    if (re.lastIndex >= text.length) break;
  }
  return out;
}

export function parsePlaylist(text: string, baseUrl: URL | string): Playlist | { error: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') return { error: `not an HLS playlist: starts with ${describeStart(Buffer.from(text.slice(0, 64)))}` };
  const resolve = (uri: string): string | undefined => {
    try {
      return new URL(uri, baseUrl).href;
    } catch {
      return undefined;
    }
  };
  const variants: Variant[] = [];
  const segments: Segment[] = [];
  let targetDuration: number | undefined;
  let mediaSequence = 0;
  let endList = false;
  let map: string | undefined;
  let pendingVariant: Variant | undefined;
  let pendingDuration: number | undefined;
  let pendingDate: number | undefined;
  let carriedDate: number | undefined;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const colon = line.indexOf(':');
      const tag = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1);
      if (tag === '#EXT-X-STREAM-INF') {
        const a = parseAttributes(value);
        const [w, h] = (a['RESOLUTION'] ?? '').split('x').map(Number);
        pendingVariant = {
          uri: '',
          ...(a['BANDWIDTH'] ? { bandwidth: Number(a['BANDWIDTH']) } : {}),
          ...(w && h ? { width: w, height: h } : {}),
          ...(a['CODECS'] ? { codecs: a['CODECS'] } : {}),
        };
      } else if (tag === '#EXT-X-TARGETDURATION') targetDuration = Number(value);
      else if (tag === '#EXT-X-MEDIA-SEQUENCE') mediaSequence = Number(value) || 0;
      else if (tag === '#EXTINF') pendingDuration = Number.parseFloat(value);
      else if (tag === '#EXT-X-PROGRAM-DATE-TIME') pendingDate = Date.parse(value);
      else if (tag === '#EXT-X-ENDLIST') endList = true;
      else if (tag === '#EXT-X-MAP') map = resolve(parseAttributes(value)['URI'] ?? '') ?? map;
      continue;
    }
    const uri = resolve(line);
    if (uri === undefined) continue;
    if (pendingVariant) {
      variants.push({ ...pendingVariant, uri });
      pendingVariant = undefined;
    } else if (pendingDuration !== undefined) {
      const duration = Number.isFinite(pendingDuration) ? pendingDuration : 0;
      // §4.3.2.6: a date applies to its segment; later segments follow by their durations.
      const date = pendingDate !== undefined && !Number.isNaN(pendingDate) ? pendingDate : carriedDate;
      segments.push({ uri, duration, sequence: mediaSequence + segments.length, ...(date !== undefined ? { programDateTime: date } : {}) });
      carriedDate = date !== undefined ? date + duration * 1000 : undefined;
      pendingDuration = undefined;
      pendingDate = undefined;
    }
  }
  if (variants.length > 0) return { kind: 'master', variants };
  if (targetDuration === undefined || !Number.isFinite(targetDuration)) {
    return { error: 'HLS media playlist without EXT-X-TARGETDURATION' };
  }
  return { kind: 'media', targetDuration, mediaSequence, segments, endList, ...(map ? { map } : {}) };
}

/** "avc1.64001f,mp4a.40.2" → video H.264, audio AAC. */
export function codecsFromAttribute(codecs: string | undefined): { video?: string; audio?: string } {
  const out: { video?: string; audio?: string } = {};
  for (const c of (codecs ?? '').split(',').map((s) => s.trim().toLowerCase())) {
    const fourcc = c.split('.')[0] ?? '';
    const video = ({ avc1: 'H.264', avc3: 'H.264', hvc1: 'H.265', hev1: 'H.265', av01: 'AV1', vp09: 'VP9' } as Record<string, string>)[fourcc];
    const audio = ({ mp4a: 'AAC', 'ac-3': 'AC-3', 'ec-3': 'E-AC-3', opus: 'Opus' } as Record<string, string>)[fourcc];
    if (video) out.video ??= video;
    if (audio) out.audio ??= audio;
  }
  return out;
}

async function readPlaylist(response: HttpResponse): Promise<Playlist | { error: string }> {
  const { data, complete } = await response.body.readUpTo(PLAYLIST_LIMIT);
  if (!complete) return { error: `playlist larger than ${PLAYLIST_LIMIT / 1024} KB` };
  return parsePlaylist(data.toString('utf8'), response.url);
}

export async function probeHls(ctx: ProbeContext, response: HttpResponse, client: HttpClient): Promise<Outcome> {
  const clean = (text: string): string => redactText(text, [ctx.credentials?.password]);
  let playlist = await readPlaylist(response);
  if ('error' in playlist) return { code: 'bad_frame', message: clean(playlist.error) };
  let declared: { video?: string; audio?: string } = {};
  if (playlist.kind === 'master') {
    // The cheapest rendition is enough to know the camera is live, and costs it the least.
    const variant = [...playlist.variants].sort((a, b) => (a.bandwidth ?? Infinity) - (b.bandwidth ?? Infinity))[0];
    if (!variant) return { code: 'protocol_error', message: 'HLS master playlist without variants' };
    declared = codecsFromAttribute(variant.codecs);
    const media = await client.get(new URL(variant.uri), readPlaylist, 'application/vnd.apple.mpegurl, */*');
    if ('error' in media) return { code: 'bad_frame', message: clean(`variant playlist: ${media.error}`) };
    if (media.kind === 'master') return { code: 'protocol_error', message: 'HLS variant playlist is itself a master playlist' };
    playlist = media;
  }
  if (declared.video || declared.audio) {
    ctx.facts.media = { ...ctx.facts.media, ...(declared.video ? { codec: declared.video } : {}), ...(declared.audio ? { audio: declared.audio } : {}) };
  }
  const newest = playlist.segments.at(-1);
  if (!newest) return { code: 'no_frame', message: 'HLS media playlist lists no segments' };

  const evidence: Evidence = { level: 'packet', mediaBytes: 0, hlsSequence: sequenceEvidence(ctx, newest.sequence) };
  if (!playlist.endList) {
    const stale = staleFor(ctx, playlist, newest, evidence);
    if (stale !== undefined) {
      return {
        code: 'frozen',
        message: `live HLS playlist is stale: the media sequence has not advanced for ${Math.round(stale / 1000)} s (newest segment #${newest.sequence})`,
        evidence,
      };
    }
  }

  const segment = await readSegment(client, new URL(newest.uri));
  if ('outcome' in segment) return segment.outcome;
  evidence.mediaBytes = segment.data.length;
  const judged = await judgeSegment(ctx, client, segment.data, playlist, declared);
  if (!('keyframe' in judged)) return { ...judged, evidence };
  ctx.mark('firstFrameMs');
  if (judged.keyframe) evidence.level = 'keyframe';
  const media = ctx.facts.media ?? {};
  const size = media.width && media.height ? ` ${media.width}x${media.height}` : '';
  const live = playlist.endList ? 'VOD playlist' : `live, media sequence ${newest.sequence}`;
  return {
    code: 'ok',
    message: `HLS ${media.codec ?? 'video'}${size}, ${live} (${Math.max(1, Math.round(segment.data.length / 1024))} KB of the newest segment read)`,
    evidence,
  };
}

/** The sequence value with the time it was first seen (carried over while it does not change). */
function sequenceEvidence(ctx: ProbeContext, value: number): { value: number; firstSeen: string } {
  const previous = ctx.previous?.hlsSequence;
  if (previous && previous.value === value) return { value, firstSeen: previous.firstSeen };
  return { value, firstSeen: new Date(ctx.now()).toISOString() };
}

/**
 * How long a live playlist has been stale (ms), or undefined while it is fresh. Two witnesses:
 * the newest segment's PROGRAM-DATE-TIME (on the camera's clock, so corrected by the Date-header
 * skew) and the media sequence not advancing across probes.
 */
function staleFor(ctx: ProbeContext, playlist: MediaPlaylist, newest: Segment, evidence: Evidence): number | undefined {
  const now = ctx.now();
  const window = 3 * playlist.targetDuration * 1000;
  if (newest.programDateTime !== undefined) {
    const age = now + (ctx.facts.clockSkewMs ?? 0) - newest.programDateTime;
    if (age > Math.max(window, 30_000)) return age;
  }
  const since = Date.parse(evidence.hlsSequence?.firstSeen ?? '');
  if (ctx.previous?.hlsSequence?.value === newest.sequence && now - since > window) return now - since;
  return undefined;
}

async function readSegment(client: HttpClient, url: URL): Promise<{ data: Buffer } | { outcome: Outcome }> {
  try {
    return await client.get(url, async (res) => ({ data: (await res.body.readUpTo(SEGMENT_SAMPLE_BYTES)).data }), '*/*');
  } catch (err) {
    if (err instanceof ProbeError && err.code === 'timeout') {
      return { outcome: { code: 'no_frame', message: `the newest HLS segment did not arrive before the deadline (${err.message})` } };
    }
    throw err;
  }
}

/** A segment with video (keyframe: its SPS and an IDR/IRAP were seen), or the verdict against it. */
type Judged = { keyframe: boolean } | Outcome;

async function judgeSegment(
  ctx: ProbeContext,
  client: HttpClient,
  data: Buffer,
  playlist: MediaPlaylist,
  declared: { video?: string; audio?: string },
): Promise<Judged> {
  if (isMpegTs(data)) {
    const ts = parseTsSegment(data);
    if ('error' in ts) return { code: 'bad_frame', message: `newest segment: ${ts.error}` };
    if (!ts.videoCodec) return { code: 'no_video', message: `newest HLS segment carries no video stream${ts.audio ? ` (only ${ts.audio} audio)` : ''}` };
    ctx.facts.media = {
      ...ctx.facts.media,
      codec: ts.videoCodec,
      ...(ts.width !== undefined && ts.height !== undefined ? { width: ts.width, height: ts.height } : {}),
      ...(ts.fps !== undefined ? { fps: ts.fps } : {}),
      ...(ts.audio ? { audio: ts.audio } : {}),
    };
    return { keyframe: ts.keyframe && ts.width !== undefined };
  }
  if (isFmp4(data)) {
    // The sample entry (codec, size) lives in the init section, not in the media segment.
    let video = findFmp4Video(data);
    if (!video && playlist.map) {
      video = await client.get(new URL(playlist.map), async (res) => findFmp4Video((await res.body.readUpTo(SEGMENT_SAMPLE_BYTES)).data));
    }
    const codec = video?.codec ?? declared.video;
    if (!codec && !video) return { keyframe: false };
    ctx.facts.media = { ...ctx.facts.media, ...(codec ? { codec } : {}), ...(video ? { width: video.width, height: video.height } : {}) };
    return { keyframe: false };
  }
  return { code: 'bad_frame', message: redactText(`newest HLS segment is neither MPEG-TS nor fMP4: starts with ${describeStart(data)}`, [ctx.credentials?.password]) };
}
