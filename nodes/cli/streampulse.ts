#!/usr/bin/env node
/**
 * `streampulse probe <url>`: test a camera URL from a terminal before adding it to the monitor.
 * Exit status: 0 when the probe is ok, 1 when it is not, 2 for a usage error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ProbeResult, VerifyLevel } from '../lib/heartbeat.js';
import { VERIFY_LEVELS } from '../lib/heartbeat.js';
import { DEFAULT_TIMEOUT_MS, probe } from '../lib/probe/index.js';
import type { HttpKind, RtspTransport } from '../lib/probe/types.js';
import { redactText } from '../lib/util/redact.js';

const USAGE = `Usage: streampulse probe <url> [options]

Probes one camera stream (rtsp://, rtsps://, http(s):// MJPEG, JPEG snapshot or HLS) and tells
whether real video arrives.

Options:
  --verify packet|keyframe|decode   evidence to wait for (default keyframe)
  --timeout MS                      overall deadline in milliseconds (default ${DEFAULT_TIMEOUT_MS})
  --transport auto|tcp|udp          RTSP transport (default auto: TCP, UDP if the camera refuses TCP)
  --kind auto|mjpeg|jpeg|hls        meaning of an http(s) URL (default auto: from Content-Type)
  --username NAME                   user name (or put it in the URL)
  --password-env VAR                read the password from environment variable VAR
                                    (default STREAMPULSE_PASSWORD; keeps it out of the process list)
  --tls-verify                      check the camera's TLS certificate
  --json                            print the result as JSON
  -h, --help                        this help
  -v, --version                     the version

Exit status: 0 ok, 1 the stream is not healthy, 2 usage error.`;

function fail(message: string): never {
  process.stderr.write(`streampulse: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  return fail(`--${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** One readable line: verdict, protocol, URL, media, latency and the reason. */
export function formatLine(result: ProbeResult): string {
  const media = result.media;
  const facts = [
    media?.codec,
    media?.width ? `${media.width}x${media.height}` : undefined,
    media?.fps ? `${media.fps} fps` : undefined,
    media?.bitrateKbps ? `${media.bitrateKbps} kbit/s` : undefined,
    media?.audio ? `audio ${media.audio}` : undefined,
  ].filter(Boolean);
  const t = result.timings;
  const phases = [
    t.connectMs !== undefined ? `connect ${t.connectMs}` : undefined,
    t.firstResponseMs !== undefined ? `answer ${t.firstResponseMs}` : undefined,
    t.firstFrameMs !== undefined ? `frame ${t.firstFrameMs}` : undefined,
  ].filter(Boolean);
  const skew = result.clockSkewMs !== undefined && Math.abs(result.clockSkewMs) >= 2000 ? ` clock skew ${Math.round(result.clockSkewMs / 1000)} s` : '';
  const parts = [result.code.toUpperCase().padEnd(14), result.stream.protocol.padEnd(5), result.stream.url];
  if (facts.length > 0) parts.push(facts.join(' '));
  parts.push(`${result.latencyMs} ms${phases.length > 0 ? ` (${phases.join(', ')})` : ''}${skew}`);
  return `${parts.join(' ')} — ${result.message}`;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        verify: { type: 'string' },
        timeout: { type: 'string' },
        transport: { type: 'string' },
        kind: { type: 'string' },
        username: { type: 'string' },
        'password-env': { type: 'string' },
        'tls-verify': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    return fail(redactText(err instanceof Error ? err.message : String(err)));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.version) {
    process.stdout.write(version() + '\n');
    return 0;
  }
  const [command, url, ...rest] = positionals;
  if (command !== 'probe') fail(command ? `unknown command "${command}"` : 'missing command');
  if (!url) fail('missing <url>');
  if (rest.length > 0) fail(`unexpected arguments: ${redactText(rest.join(' '))}`);
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) fail('--timeout must be a whole number of milliseconds between 100 and 600000');
  const verify = oneOf<VerifyLevel>(values.verify, VERIFY_LEVELS, 'verify');
  const transport = oneOf<RtspTransport>(values.transport, ['auto', 'tcp', 'udp'], 'transport');
  const kind = oneOf<HttpKind>(values.kind, ['auto', 'mjpeg', 'jpeg', 'hls'], 'kind');
  const password = process.env[values['password-env'] ?? 'STREAMPULSE_PASSWORD'];

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  let result: ProbeResult;
  try {
    result = await probe(
      {
        url,
        ...(verify ? { verify } : {}),
        ...(transport ? { transport } : {}),
        ...(kind ? { kind } : {}),
        ...(values.username !== undefined ? { username: values.username } : {}),
        ...(password !== undefined && password !== '' ? { password } : {}),
        ...(values['tls-verify'] ? { tlsVerify: true } : {}),
      },
      { timeoutMs, signal: controller.signal },
    );
  } catch (err) {
    if (controller.signal.aborted) return 130;
    return fail(err instanceof Error ? err.message : String(err));
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
  process.stdout.write((values.json ? JSON.stringify(result, null, 2) : formatLine(result)) + '\n');
  return result.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`streampulse: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
