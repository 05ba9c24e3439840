/** The `streampulse probe` command as a user runs it: a real process, real output, exit codes. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGstRtspServer } from '../fixtures/gst-rtsp.js';
import { freePort } from '../fixtures/ports.js';

const CLI = join(__dirname, '..', '..', 'nodes', 'cli', 'streampulse.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('streampulse CLI', () => {
  let gst: Awaited<ReturnType<typeof startGstRtspServer>>;
  before(async () => {
    gst = await startGstRtspServer();
  });
  after(async () => {
    await gst?.stop();
  });

  it('prints one readable line and exits 0 for a healthy stream', async () => {
    const r = await run(['probe', gst.url('/h264')]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^OK\s+rtsp\s+rtsp:\/\/127\.0\.0\.1:\d+\/h264 H264 640x480 .* ms .*— whole H264 640x480 keyframe/);
  });

  it('prints the result as JSON with --json', async () => {
    const r = await run(['probe', gst.url('/h265'), '--json', '--verify', 'packet']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { code: string; media: { codec: string }; evidence: { level: string } };
    assert.equal(result.code, 'ok');
    assert.equal(result.media.codec, 'H265');
    assert.equal(result.evidence.level, 'packet');
  });

  it('exits 1 for an unhealthy stream', async () => {
    const port = await freePort();
    const r = await run(['probe', `rtsp://127.0.0.1:${port}/x`, '--timeout', '2000']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^REFUSED/);
  });

  it('reads the password from the environment and never prints it', async () => {
    const ok = await run(['probe', gst.url('/digest'), '--username', 'admin', '--json'], { STREAMPULSE_PASSWORD: 's3cret' });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const bad = await run(['probe', 'rtsp://admin:s3cret-wrong@127.0.0.1:' + gst.port + '/basic']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^AUTH_FAILED/);
    for (const r of [ok, bad]) assert.ok(!(r.stdout + r.stderr).includes('s3cret'), r.stdout + r.stderr);
  });

  it('rejects bad usage with exit 2 and a message naming the flag', async () => {
    const r = await run(['probe', 'rtsp://127.0.0.1/x', '--verify', 'pixels']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--verify must be one of packet, keyframe, decode/);
    const noUrl = await run(['probe']);
    assert.equal(noUrl.code, 2);
    const scheme = await run(['probe', 'ftp://user:s3cret@cam/x']);
    assert.equal(scheme.code, 2);
    assert.match(scheme.stderr, /unsupported URL scheme/);
    assert.ok(!scheme.stderr.includes('s3cret'));
  });

  it('--help exits 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: streampulse probe <url>/);
  });
});
