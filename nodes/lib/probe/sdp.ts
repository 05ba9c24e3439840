/**
 * The parts of an SDP session description (RFC 8866, https://www.rfc-editor.org/rfc/rfc8866)
 * an RTSP probe needs: media lines, rtpmap/fmtp/control attributes and the payload-type table of
 * RFC 3551 §6. Camera SDP is often sloppy (LF only, stray spaces, unknown lines, a missing
 * rtpmap), so parsing never throws: what cannot be read is left out.
 */

export interface RtpMap {
  /** Upper-case encoding name: H264, H265, JPEG, MP4V-ES, PCMU, MPEG4-GENERIC, ... */
  encoding: string;
  clockRate: number;
  channels?: number;
}

export interface MediaDescription {
  /** video | audio | application | ... as written on the m= line (lower-cased). */
  kind: string;
  port: number;
  protocol: string;
  payloadTypes: number[];
  control?: string;
  rtpmap: Map<number, RtpMap>;
  /** fmtp parameters per payload type; keys lower-cased, values as written. */
  fmtp: Map<number, Record<string, string>>;
  /** a=framerate (RFC 8866 §6.8) or the common a=x-framerate. */
  framerate?: number;
}

export interface SessionDescription {
  /** Session-level a=control (aggregate control URL, RFC 2326 §C.1.1). */
  control?: string;
  media: MediaDescription[];
}

/** Static payload types (RFC 3551 §6, tables 4 and 5) that need no rtpmap. */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, RtpMap> = new Map<number, RtpMap>([
  [0, { encoding: 'PCMU', clockRate: 8000, channels: 1 }],
  [3, { encoding: 'GSM', clockRate: 8000, channels: 1 }],
  [4, { encoding: 'G723', clockRate: 8000, channels: 1 }],
  [5, { encoding: 'DVI4', clockRate: 8000, channels: 1 }],
  [6, { encoding: 'DVI4', clockRate: 16000, channels: 1 }],
  [7, { encoding: 'LPC', clockRate: 8000, channels: 1 }],
  [8, { encoding: 'PCMA', clockRate: 8000, channels: 1 }],
  [9, { encoding: 'G722', clockRate: 8000, channels: 1 }],
  [10, { encoding: 'L16', clockRate: 44100, channels: 2 }],
  [11, { encoding: 'L16', clockRate: 44100, channels: 1 }],
  [12, { encoding: 'QCELP', clockRate: 8000, channels: 1 }],
  [13, { encoding: 'CN', clockRate: 8000, channels: 1 }],
  [14, { encoding: 'MPA', clockRate: 90000 }],
  [15, { encoding: 'G728', clockRate: 8000, channels: 1 }],
  [16, { encoding: 'DVI4', clockRate: 11025, channels: 1 }],
  [17, { encoding: 'DVI4', clockRate: 22050, channels: 1 }],
  [18, { encoding: 'G729', clockRate: 8000, channels: 1 }],
  [25, { encoding: 'CELB', clockRate: 90000 }],
  [26, { encoding: 'JPEG', clockRate: 90000 }],
  [28, { encoding: 'NV', clockRate: 90000 }],
  [31, { encoding: 'H261', clockRate: 90000 }],
  [32, { encoding: 'MPV', clockRate: 90000 }],
  [33, { encoding: 'MP2T', clockRate: 90000 }],
  [34, { encoding: 'H263', clockRate: 90000 }],
]);

/** Encoding names some cameras spell their own way. */
const ENCODING_ALIASES: Readonly<Record<string, string>> = { HEVC: 'H265', AVC: 'H264' };

export function parseSdp(text: string): SessionDescription {
  const session: SessionDescription = { media: [] };
  let current: MediaDescription | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    const match = /^([a-z])\s*=(.*)$/.exec(line);
    if (!match) continue;
    const type = match[1] as string;
    const value = (match[2] as string).trim();
    if (type === 'm') {
      current = parseMediaLine(value);
      if (current) session.media.push(current);
      // A media line we cannot read swallows its attributes instead of lending them to the session.
      else current = detachedMedia();
      continue;
    }
    if (type !== 'a') continue;
    const colon = value.indexOf(':');
    const name = (colon < 0 ? value : value.slice(0, colon)).trim().toLowerCase();
    const arg = colon < 0 ? '' : value.slice(colon + 1).trim();
    if (!current) {
      if (name === 'control' && arg !== '') session.control = arg;
      continue;
    }
    applyMediaAttribute(current, name, arg);
  }
  for (const media of session.media) fillStaticPayloadTypes(media);
  return session;
}

function parseMediaLine(value: string): MediaDescription | undefined {
  // m=<media> <port>[/<number of ports>] <proto> <fmt> ...
  const fields = value.split(/\s+/);
  const [kind, portField, protocol] = fields;
  if (kind === undefined || portField === undefined || protocol === undefined) return undefined;
  const port = Number.parseInt(portField, 10);
  if (!Number.isFinite(port) || port < 0 || port > 65535) return undefined;
  const payloadTypes = fields
    .slice(3)
    .filter((f) => /^\d{1,3}$/.test(f))
    .map(Number)
    .filter((pt) => pt <= 127);
  return { kind: kind.toLowerCase(), port, protocol, payloadTypes, rtpmap: new Map(), fmtp: new Map() };
}

function detachedMedia(): MediaDescription {
  return { kind: '', port: 0, protocol: '', payloadTypes: [], rtpmap: new Map(), fmtp: new Map() };
}

function applyMediaAttribute(media: MediaDescription, name: string, arg: string): void {
  switch (name) {
    case 'control':
      if (arg !== '') media.control = arg;
      return;
    case 'rtpmap': {
      // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
      const m = /^(\d{1,3})\s+([^/\s]+)(?:\/(\d+))?(?:\/(\d+))?/.exec(arg);
      if (!m) return;
      const encoding = (m[2] as string).toUpperCase();
      const map: RtpMap = {
        encoding: ENCODING_ALIASES[encoding] ?? encoding,
        // Every RTP video format runs a 90 kHz clock; a camera that forgets it means that.
        clockRate: m[3] !== undefined ? Number(m[3]) : media.kind === 'video' ? 90000 : 0,
      };
      if (m[4] !== undefined) map.channels = Number(m[4]);
      media.rtpmap.set(Number(m[1]), map);
      return;
    }
    case 'fmtp': {
      const m = /^(\d{1,3})\s*(.*)$/.exec(arg);
      if (m) media.fmtp.set(Number(m[1]), parseFmtpParameters(m[2] as string));
      return;
    }
    case 'framerate':
    case 'x-framerate': {
      const fps = Number.parseFloat(arg);
      if (Number.isFinite(fps) && fps > 0) media.framerate = fps;
      return;
    }
    default:
      return;
  }
}

/** `key=value;key=value`; values may contain '=' (base64 padding), so split at the first one. */
function parseFmtpParameters(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of text.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    if (key !== '') params[key] = eq < 0 ? '' : item.slice(eq + 1).trim();
  }
  return params;
}

function fillStaticPayloadTypes(media: MediaDescription): void {
  for (const pt of media.payloadTypes) {
    const known = STATIC_PAYLOAD_TYPES.get(pt);
    if (known && !media.rtpmap.has(pt)) media.rtpmap.set(pt, { ...known });
  }
}

/**
 * The URL to SETUP a track with (RFC 2326 §C.1.1). An absolute control is used as is; `*` or
 * none means the base itself. A relative control is appended to the base with exactly one '/',
 * as VLC/live555 and ffmpeg do, rather than by RFC 3986 resolution, which would replace the
 * last path segment (rtsp://h/stream + trackID=1 → rtsp://h/trackID=1) and which cameras do not
 * expect. A base with a query string keeps it in place, so the control lands after the query
 * (rtsp://h/cam?channel=1/ + trackID=0): this is what those clients send and what cameras that
 * announce such a Content-Base (Dahua's realmonitor?channel=1&subtype=0/) expect. Only a control
 * that starts with '/' is a path on the base's host.
 */
export function resolveControlUrl(base: string, control: string | undefined): string {
  const c = control?.trim() ?? '';
  if (c === '' || c === '*') return base;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(c)) return c;
  if (c.startsWith('/')) {
    try {
      const url = new URL(base);
      if (url.host !== '') return `${url.protocol}//${url.host}${c}`;
    } catch {
      // not a parseable base: fall through to plain concatenation
    }
    return base.endsWith('/') ? base + c.slice(1) : base + c;
  }
  return base.endsWith('/') ? base + c : `${base}/${c}`;
}

export interface VideoTrack {
  media: MediaDescription;
  payloadType: number;
  /** Upper-case encoding name (H264, H265, JPEG, MP4V-ES, ...) or `unknown`. */
  codec: string;
  clockRate: number;
  /** fmtp parameters of the chosen payload type (empty when none). */
  fmtp: Record<string, string>;
}

/**
 * The first video media line and the payload type to expect on it: the first listed one whose
 * encoding is known (a camera lists its preferred format first). Undefined when the session has
 * no video at all, which the prober reports as `no_video`. Port 0 is normal in RTSP SDP (the
 * port is negotiated in SETUP), so it does not disable the track.
 */
export function firstVideo(sdp: SessionDescription): VideoTrack | undefined {
  for (const media of sdp.media) {
    const payloadType = media.kind === 'video' ? preferredPayloadType(media) : undefined;
    if (payloadType === undefined) continue;
    const map = media.rtpmap.get(payloadType);
    return {
      media,
      payloadType,
      codec: map?.encoding ?? 'unknown',
      clockRate: map?.clockRate ?? 90000,
      fmtp: media.fmtp.get(payloadType) ?? {},
    };
  }
  return undefined;
}

/** The first listed payload type whose encoding is known (a camera lists its preference first). */
function preferredPayloadType(media: MediaDescription): number | undefined {
  return media.payloadTypes.find((pt) => media.rtpmap.has(pt)) ?? media.payloadTypes[0];
}

const AUDIO_NAMES: Readonly<Record<string, string>> = {
  'MPEG4-GENERIC': 'AAC',
  'MP4A-LATM': 'AAC',
  PCMU: 'G.711 µ-law',
  PCMA: 'G.711 A-law',
  G722: 'G.722',
  G723: 'G.723',
  G728: 'G.728',
  G729: 'G.729',
  OPUS: 'Opus',
  L16: 'PCM',
  L24: 'PCM',
  MPA: 'MPEG audio',
  DVI4: 'IMA ADPCM',
};

/** A readable name of the first audio track's codec (AAC, G.711 µ-law, G.726, ...), if any. */
export function audioCodec(sdp: SessionDescription): string | undefined {
  const media = sdp.media.find((m) => m.kind === 'audio' && m.payloadTypes.length > 0);
  const payloadType = media ? preferredPayloadType(media) : undefined;
  if (!media || payloadType === undefined) return undefined;
  const encoding = media.rtpmap.get(payloadType)?.encoding;
  if (encoding === undefined) return `payload type ${payloadType}`;
  if (encoding.startsWith('G726')) return 'G.726';
  return AUDIO_NAMES[encoding] ?? encoding;
}
