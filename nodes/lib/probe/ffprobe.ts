/**
 * The `decode` verify level: ffprobe opens the stream, decodes a short window of it and reports
 * what it decoded (codec, size, fps, bitrate, audio codec). The native probers only prove that
 * video arrives; this proves that it decodes, at the price of a process per probe.
 *
 * ffprobe runs without a shell (argument vector, no quoting issues with passwords) and is killed
 * with SIGKILL on the deadline or on abort; we always wait for its exit, so no zombie is left.
 * ffprobe prints the input URL, password included, in its errors: all of its stderr goes
 * through `redactText` before it reaches a message.
 */
import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, isAbsolute, join } from 'node:path';
import type { ProbeCode } from '../heartbeat.js';
import { ffmpegMajorVersion, rtspTimeoutOption, runBounded } from '../util/child.js';
import { abortReason, within } from '../util/deadline.js';
import { ProbeError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { parseFfprobeOutput } from './ffprobe-output.js';
import type { DecodeReport } from './ffprobe-output.js';
import type { ProbeContext } from './types.js';

export type { DecodeReport } from './ffprobe-output.js';

export interface DecodeOptions {
  /** RTSP lower transport; TCP interleaving unless the stream forces UDP. */
  rtspTransport?: 'tcp' | 'udp';
}

/** Media time ffprobe decodes: ~2 s gives fps and bitrate from 20+ frames of a 10 fps camera. */
const WINDOW_S = 2;
/** Time ffprobe needs besides the window (connect, DESCRIBE/SETUP/PLAY, stream analysis). */
const SETUP_ALLOWANCE_MS = 2000;
/** ffprobe's own socket timeout is a backstop for an orphaned child (our parent died); our
 *  kill timer, which fires first, is what decides `timeout`. */
const BACKSTOP_MS = 1000;
const MAX_STDOUT = 8 * 1024 * 1024;
const MAX_STDERR = 64 * 1024;

let resolved: { path: string | undefined } | undefined;

/**
 * The ffprobe binary to run: `explicit` when given; else the first `ffprobe` on PATH (the HA image
 * installs Alpine's ffmpeg); else the ffprobe-static package's binary, which does not exist for
 * every platform (none for arm64 Linux). The PATH/static answer is cached for the process.
 */
export function resolveFfprobe(explicit?: string): string | undefined {
  if (explicit) return explicit;
  if (resolved) return resolved.path;
  resolved = { path: findOnPath(process.platform === 'win32' ? 'ffprobe.exe' : 'ffprobe') ?? staticFfprobe() };
  return resolved.path;
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue; // a relative PATH entry would depend on our cwd
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here (or not executable): keep looking
    }
  }
  return undefined;
}

function staticFfprobe(): string | undefined {
  try {
    const mod: unknown = createRequire(__filename)('ffprobe-static');
    const path = typeof mod === 'object' && mod !== null ? (mod as { path?: unknown }).path : undefined;
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Arguments for one decode: only the entries we read, a bounded media window, JSON output. */
export function ffprobeArgs(url: string, remainingMs: number, major: number | undefined, opts: DecodeOptions): string[] {
  const socketTimeoutUs = String(Math.ceil(remainingMs + BACKSTOP_MS) * 1000);
  const window = Math.min(WINDOW_S, Math.max(0.5, (remainingMs - SETUP_ALLOWANCE_MS) / 1000));
  const args = ['-v', 'error', '-hide_banner'];
  if (/^rtsps?:/i.test(url)) {
    args.push('-rtsp_transport', opts.rtspTransport ?? 'tcp');
    args.push(rtspTimeoutOption(major), socketTimeoutUs);
  } else {
    args.push('-rw_timeout', socketTimeoutUs);
  }
  args.push(
    '-show_entries',
    'stream=index,codec_type,codec_name,width,height,r_frame_rate,avg_frame_rate' +
      ':packet=stream_index,pts_time,dts_time,size:frame=stream_index,width,height',
    // Every stream (not -select_streams v:0): that would hide the audio codec too.
    '-read_intervals',
    `%+${window.toFixed(1)}`,
    '-of',
    'json',
    url,
  );
  return args;
}

/**
 * Decodes a couple of seconds of `url` (WITH its credentials: ffprobe must authenticate) and
 * reports what it saw. Throws ProbeError with an honest code, or the abort reason on abort.
 */
export async function decodeWithFfprobe(ctx: ProbeContext, url: string, opts: DecodeOptions = {}): Promise<DecodeReport> {
  const secrets = [ctx.credentials?.password, passwordOf(url)];
  const bin = resolveFfprobe(ctx.ffprobePath);
  if (!bin) throw new ProbeError('protocol_error', 'decode needs ffprobe: install ffmpeg or set the ffprobe path');
  if (ctx.signal.aborted) throw abortReason(ctx.signal);
  const timedOut = (): ProbeError => new ProbeError('timeout', 'ffprobe did not decode a frame before the deadline');
  const major = await within(ffmpegMajorVersion(bin), ctx.deadline.remaining(), timedOut, ctx.signal);
  const remaining = ctx.deadline.remaining();
  if (remaining <= 0) throw timedOut();

  const result = await runBounded(bin, ffprobeArgs(url, remaining, major, opts), {
    timeoutMs: remaining,
    signal: ctx.signal,
    maxStdoutBytes: MAX_STDOUT,
    maxStderrChars: MAX_STDERR,
  });
  if (result.killedFor === 'abort') throw abortReason(ctx.signal);
  if (result.killedFor === 'deadline') throw timedOut();
  if (result.killedFor === 'output') throw new ProbeError('protocol_error', 'ffprobe printed more output than expected');
  if (result.spawnError) {
    throw new ProbeError('protocol_error', redactText(`cannot run ffprobe (${bin}): ${result.spawnError.message}`, secrets));
  }
  const parsed = parseFfprobeOutput(result.stdout.toString('utf8'));
  // A decoded frame is the evidence asked for, even if ffprobe failed later (a stream that broke
  // off after the first frames): only without one does its exit status decide.
  if (parsed.kind === 'ok' && parsed.report.framesDecoded > 0) {
    ctx.mark('firstFrameMs');
    return parsed.report;
  }
  if (result.exitCode !== 0) throw classifyFailure(redactText(result.stderr, secrets), result.exitCode);
  switch (parsed.kind) {
    case 'unparsable':
      throw new ProbeError('protocol_error', `ffprobe output not understood: ${parsed.reason}`);
    case 'no_video':
      throw new ProbeError('no_video', parsed.streams ? `no video stream (found ${parsed.streams})` : 'the stream carries no media stream at all');
    case 'ok':
      throw new ProbeError('no_frame', `ffprobe found a ${parsed.report.codec ?? 'video'} stream but decoded no frame`);
  }
}

function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

/** ffprobe's error text → an honest code. Patterns match FFmpeg's rtsp.c/http.c/tcp.c wording. */
const FAILURES: readonly [RegExp, ProbeCode][] = [
  [/\b40[13] (Unauthorized|Forbidden)|authorization failed|access denied/i, 'auth_failed'],
  [/\b(404|454) [A-Z]|\bNot Found\b/, 'not_found'],
  [/Connection refused/i, 'refused'],
  [/timed out/i, 'timeout'],
  [/Name or service not known|name resolution|Failed to resolve|nodename nor servname/i, 'dns'],
  [/No route to host|Network is unreachable|Host is unreachable/i, 'unreachable'],
  [/\b5\d\d [A-Z]|Server returned 5XX/, 'server_error'],
  [/\b(SSL|TLS)\b|certificate|handshake/i, 'tls'],
];

export function classifyFailure(redactedStderr: string, exitCode: number | null): ProbeError {
  const lines = redactedStderr
    .split(/\r?\n/)
    .map((l) => l.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '').trim())
    .filter(Boolean);
  const last = lines.at(-1) ?? `ffprobe exited with code ${String(exitCode)} without a message`;
  const detail = `ffprobe: ${last}`.slice(0, 300);
  const all = lines.join('\n');
  for (const [pattern, code] of FAILURES) {
    if (pattern.test(all)) return new ProbeError(code, detail);
  }
  return new ProbeError('protocol_error', detail);
}
