/**
 * The preview of an RTSP/RTSPS or HLS camera: the system ffmpeg decodes one video frame and
 * writes it as a JPEG to stdout. No shell (an argument vector: a password needs no quoting);
 * SIGKILL at the deadline, on abort (the browser went away) and on runaway output; the exit is
 * always awaited, so no process outlives its request. ffmpeg repeats the input URL, password
 * included, in its errors: its stderr is redacted before any of it reaches a message.
 */
import type { StreamConfig } from '../config/types.js';
import { parseJpeg } from '../probe/jpeg.js';
import { ffmpegMajorVersion, rtspTimeoutOption, runBounded } from '../util/child.js';
import { redactText } from '../util/redact.js';
import { CLIENT_GONE } from './preview-http.js';
import { HttpError } from './respond.js';

export interface FfmpegFrameOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** The binary (default `ffmpeg` on PATH). */
  ffmpegPath?: string;
}

const MAX_STDOUT = 16 * 1024 * 1024;
const MAX_STDERR = 16 * 1024;
/** ffmpeg's own socket timeout backs up our kill timer if this process dies first (the child lives on). */
const BACKSTOP_MS = 1000;

export async function ffmpegFrame(stream: StreamConfig, opts: FfmpegFrameOptions): Promise<Buffer> {
  const { url, secrets } = urlWithCredentials(stream);
  const bin = opts.ffmpegPath ?? 'ffmpeg';
  const started = performance.now();
  const major = await ffmpegMajorVersion(bin, opts.timeoutMs);
  const remaining = Math.max(1, Math.round(opts.timeoutMs - (performance.now() - started)));
  const rtspTransport = stream.transport === 'udp' ? 'udp' : 'tcp';
  const result = await runBounded(bin, ffmpegFrameArgs(url, { rtspTransport, major, timeoutMs: remaining }), {
    timeoutMs: remaining,
    signal: opts.signal,
    maxStdoutBytes: MAX_STDOUT,
    maxStderrChars: MAX_STDERR,
  });
  if (result.spawnError) {
    const code = (result.spawnError as { code?: unknown }).code;
    if (code === 'ENOENT') throw new HttpError(501, 'previews of RTSP and HLS cameras need ffmpeg, which is not installed on the server');
    throw new HttpError(500, redactText(`cannot run ffmpeg: ${result.spawnError.message}`, secrets));
  }
  if (result.killedFor === 'abort') throw new HttpError(CLIENT_GONE, 'the client closed the request');
  if (result.killedFor === 'deadline') throw new HttpError(504, `camera: no video frame within ${Math.round(opts.timeoutMs / 1000)} s`);
  if (result.killedFor === 'output') throw new HttpError(502, 'camera: ffmpeg wrote more than one frame of output');
  const jpeg = result.stdout;
  if (jpeg.length > 0 && !('error' in parseJpeg(jpeg))) return jpeg;
  const lines = redactText(result.stderr, secrets)
    .split(/\r?\n/)
    .map((l) => l.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '').trim())
    .filter(Boolean);
  const last = lines.at(-1) ?? `ffmpeg exited with code ${String(result.exitCode)} without a picture`;
  throw new HttpError(502, `camera: ffmpeg: ${last}`.slice(0, 300));
}

export interface FrameArgsOptions {
  rtspTransport: 'tcp' | 'udp';
  /** ffmpeg's major version, when known: FFmpeg 5 renamed RTSP's `-stimeout` to `-timeout`. */
  major: number | undefined;
  timeoutMs: number;
}

/** One frame, decoded and re-encoded as JPEG, to stdout; audio, subtitles and data ignored. */
export function ffmpegFrameArgs(url: string, opts: FrameArgsOptions): string[] {
  const socketTimeoutUs = String(Math.ceil(opts.timeoutMs + BACKSTOP_MS) * 1000);
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error'];
  if (/^rtsps?:/i.test(url)) {
    // Interleaved TCP passes NAT and firewalls that drop the UDP ports RTSP would negotiate.
    args.push('-rtsp_transport', opts.rtspTransport);
    args.push(rtspTimeoutOption(opts.major), socketTimeoutUs);
  } else {
    args.push('-rw_timeout', socketTimeoutUs);
  }
  args.push('-i', url, '-an', '-sn', '-dn', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '4', 'pipe:1');
  return args;
}

/** The URL ffmpeg must open: with the stream's username and password fields, which win over the URL's. */
function urlWithCredentials(stream: StreamConfig): { url: string; secrets: (string | undefined)[] } {
  const url = new URL(stream.url);
  const inUrl = url.password ? safeDecode(url.password) : undefined;
  if (stream.username !== undefined) url.username = encodeURIComponent(stream.username);
  if (stream.password !== undefined) url.password = encodeURIComponent(stream.password);
  return { url: url.href, secrets: [stream.password, inUrl] };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
