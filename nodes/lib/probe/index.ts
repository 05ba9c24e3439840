/**
 * `probe()`: one honest look at one camera stream. Picks the protocol module by URL scheme, runs
 * it under one overall deadline, and turns whatever happened into a `ProbeResult` whose URL and
 * message carry no password. Never rejects for a camera fault; rejects only when the caller
 * aborts (with the signal's reason) or when the target itself is invalid (TypeError).
 */
import type { ProbeResult, Protocol, Timings } from '../heartbeat.js';
import { Deadline, isAbortError } from '../util/deadline.js';
import { classifyNetworkError, ProbeError } from '../util/errors.js';
import { redactText, redactUrl } from '../util/redact.js';
import { decodeWithFfprobe } from './ffprobe.js';
import { probeHttp } from './http-probe.js';
import { probeRtsp } from './rtsp.js';
import type { Credentials, Outcome, ProbeContext, ProbeOptions, ProbeTarget, ProtocolProbe } from './types.js';

export type { ProbeOptions, ProbeTarget } from './types.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Safety net: if a module ever ignores the deadline, the probe is cut this long after it. */
const HARD_STOP_GRACE_MS = 1_000;

const MODULES: Record<string, { probe: ProtocolProbe; protocol: Protocol }> = {
  'rtsp:': { probe: probeRtsp, protocol: 'rtsp' },
  'rtsps:': { probe: probeRtsp, protocol: 'rtsps' },
  'http:': { probe: probeHttp, protocol: 'mjpeg' },
  'https:': { probe: probeHttp, protocol: 'mjpeg' },
};

export async function probe(target: ProbeTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
  const { url, credentials } = splitCredentials(target);
  const module = MODULES[url.protocol];
  if (!module) throw new TypeError(`unsupported URL scheme "${url.protocol}" (use rtsp://, rtsps://, http:// or https://)`);
  const now = options.now ?? Date.now;
  const startedAt = now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timings: Timings = {};
  const deadline = new Deadline(timeoutMs);
  // One controller serves both the caller's abort and the hard stop (cheaper than AbortSignal.any
  // on a hot path that runs tens of thousands of times an hour).
  const stop = new AbortController();
  const stopTimer = setTimeout(() => stop.abort(new ProbeError('timeout', `probe exceeded its ${timeoutMs} ms deadline`)), timeoutMs + HARD_STOP_GRACE_MS);
  const callerSignal = options.signal;
  const onCallerAbort = () => stop.abort(callerSignal?.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const signal = stop.signal;
  const ctx: ProbeContext = {
    url,
    ...(credentials ? { credentials } : {}),
    verify: target.verify ?? 'keyframe',
    transport: target.transport ?? 'auto',
    kind: target.kind ?? 'auto',
    tlsVerify: target.tlsVerify ?? false,
    deadline,
    signal,
    ...(options.previous ? { previous: options.previous } : {}),
    ...(options.ffprobePath ? { ffprobePath: options.ffprobePath } : {}),
    now,
    mark: (key) => {
      timings[key] ??= deadline.elapsed();
    },
    facts: {},
  };

  let outcome: Outcome;
  try {
    outcome = await module.probe(ctx);
    if (outcome.code === 'ok' && ctx.verify === 'decode') outcome = await decode(ctx, target, outcome);
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason ?? err;
    outcome = failure(err, url);
  } finally {
    clearTimeout(stopTimer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }

  const secrets = [credentials?.password];
  return {
    stream: {
      id: target.id ?? defaultId(url),
      name: target.name ?? `${url.hostname}${url.pathname === '/' ? '' : url.pathname}`,
      url: displayUrl(url, credentials),
      protocol: ctx.facts.protocol ?? module.protocol,
    },
    ts: new Date(startedAt).toISOString(),
    ok: outcome.code === 'ok',
    code: outcome.code,
    message: redactText(outcome.message, secrets),
    latencyMs: deadline.elapsed(),
    timings,
    ...(ctx.facts.media && Object.keys(ctx.facts.media).length > 0 ? { media: ctx.facts.media } : {}),
    ...(ctx.facts.clockSkewMs !== undefined ? { clockSkewMs: ctx.facts.clockSkewMs } : {}),
    ...(outcome.evidence ? { evidence: outcome.evidence } : {}),
  };
}

/** `decode`: the native probe found a keyframe; ffprobe now decodes a frame for codec/fps/bitrate. */
async function decode(ctx: ProbeContext, target: ProbeTarget, native: Outcome): Promise<Outcome> {
  const withCreds = new URL(ctx.url.href);
  if (ctx.credentials) {
    withCreds.username = encodeURIComponent(ctx.credentials.username);
    withCreds.password = encodeURIComponent(ctx.credentials.password);
  }
  const transport = target.transport === 'udp' ? 'udp' : 'tcp';
  const report = await decodeWithFfprobe(ctx, withCreds.href, { rtspTransport: transport });
  const media = { ...ctx.facts.media };
  if (report.width !== undefined) media.width = report.width;
  if (report.height !== undefined) media.height = report.height;
  if (report.fps !== undefined) media.fps = report.fps;
  if (report.bitrateKbps !== undefined) media.bitrateKbps = report.bitrateKbps;
  if (report.audio !== undefined && media.audio === undefined) media.audio = report.audio;
  media.codec ??= report.codec;
  ctx.facts.media = media;
  return {
    code: 'ok',
    message: `${native.message}; ffprobe decoded ${report.framesDecoded} frame(s)`,
    evidence: { ...(native.evidence ?? { mediaBytes: 0 }), level: 'decode', mediaBytes: (native.evidence?.mediaBytes ?? 0) + report.mediaBytes },
  };
}

function failure(err: unknown, url: URL): Outcome {
  if (err instanceof ProbeError) return { code: err.code, message: err.message };
  if (isAbortError(err)) return { code: 'timeout', message: 'probe aborted at its deadline' };
  const classified = classifyNetworkError(err, url.host, false);
  return { code: classified.code, message: classified.message };
}

/** Credentials from the separate fields win over those in the URL; the URL keeps neither. */
function splitCredentials(target: ProbeTarget): { url: URL; credentials?: Credentials } {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    throw new TypeError(`not a valid URL: ${redactText(target.url, [target.password])}`);
  }
  const username = target.username ?? safeDecode(url.username);
  const password = target.password ?? safeDecode(url.password);
  url.username = '';
  url.password = '';
  if (!username && !password) return { url };
  return { url, credentials: { username, password } };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The URL as users see it: the user name stays (it tells which account), the password is masked. */
function displayUrl(url: URL, credentials: Credentials | undefined): string {
  if (!credentials) return redactUrl(url.href);
  const shown = new URL(url.href);
  shown.username = encodeURIComponent(credentials.username);
  if (credentials.password) shown.password = 'x';
  return redactUrl(shown.href);
}

/** A stable slug when the caller gives no id: host, port and path. */
export function defaultId(url: URL): string {
  const raw = `${url.hostname}${url.port ? '-' + url.port : ''}${url.pathname}`;
  return raw.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'stream';
}

