import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ffmpegMajorVersion, rtspTimeoutOption, runBounded } from '../../../nodes/lib/util/child.js';
import type { BoundedRunOptions } from '../../../nodes/lib/util/child.js';

const NODE = process.execPath;
const opts = (over: Partial<BoundedRunOptions> = {}): BoundedRunOptions => ({
  timeoutMs: 10_000,
  signal: new AbortController().signal,
  maxStdoutBytes: 1024 * 1024,
  maxStderrChars: 1024,
  ...over,
});

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A child that prints its pid on stderr and then never ends. */
const HANG = 'process.stderr.write(String(process.pid)); setInterval(() => {}, 1000)';

describe('runBounded', () => {
  it('returns stdout as bytes, stderr and the exit code', async () => {
    const r = await runBounded(NODE, ['-e', 'process.stdout.write(Buffer.from([0xff, 0x00, 0x41])); console.error("warn"); process.exit(3)'], opts());
    assert.deepEqual([...r.stdout], [0xff, 0x00, 0x41]);
    assert.equal(r.stderr.trim(), 'warn');
    assert.equal(r.exitCode, 3);
    assert.equal(r.killedFor, undefined);
    assert.equal(r.spawnError, undefined);
  });

  it('kills at the deadline and only settles once the child is gone', async () => {
    const started = Date.now();
    const r = await runBounded(NODE, ['-e', HANG], opts({ timeoutMs: 500 }));
    assert.equal(r.killedFor, 'deadline');
    assert.ok(Date.now() - started < 5000);
    assert.equal(alive(Number(r.stderr)), false);
  });

  it('kills on abort, also when the signal was aborted before the start', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await runBounded(NODE, ['-e', HANG], opts({ signal: ac.signal }));
    assert.equal(r.killedFor, 'abort');
    assert.equal(alive(Number(r.stderr)), false);
    const early = await runBounded(NODE, ['-e', HANG], opts({ signal: AbortSignal.abort() }));
    assert.equal(early.killedFor, 'abort');
  });

  it('kills a child that writes more than the cap, keeping no more than the cap', async () => {
    // Honours back-pressure (stdout to a pipe may be asynchronous): a tight loop could buffer forever.
    const flood = 'const b = Buffer.alloc(65536, 0x61); const w = () => { while (process.stdout.write(b)); process.stdout.once("drain", w); }; w()';
    const r = await runBounded(NODE, ['-e', flood], opts({ maxStdoutBytes: 256 * 1024 }));
    assert.equal(r.killedFor, 'output');
    assert.ok(r.stdout.length <= 256 * 1024, String(r.stdout.length));
  });

  it('keeps the end of stderr, where the error that matters is', async () => {
    const r = await runBounded(NODE, ['-e', 'for (let i = 0; i < 500; i++) console.error("noise " + i); console.error("the real error")'], opts({ maxStderrChars: 100 }));
    assert.equal(r.stderr.length, 100);
    assert.match(r.stderr, /the real error\n$/);
    assert.doesNotMatch(r.stderr, /noise 0\n/);
  });

  it('reports a binary that cannot be started', async () => {
    const r = await runBounded('/nonexistent/ffprobe', ['-version'], opts());
    assert.equal((r.spawnError as { code?: string } | undefined)?.code, 'ENOENT');
    assert.equal(r.stdout.length, 0);
  });
});

describe('ffmpegMajorVersion', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sp-child-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fakeBinary(name: string, banner: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\necho '${banner}'\necho 'built with gcc'\n`);
    await chmod(path, 0o755);
    return path;
  }

  it('reads the major version from an ffprobe or ffmpeg banner', async () => {
    assert.equal(await ffmpegMajorVersion(await fakeBinary('ffprobe4', 'ffprobe version 4.0.2 Copyright (c) 2007-2018')), 4);
    assert.equal(await ffmpegMajorVersion(await fakeBinary('ffmpeg7', 'ffmpeg version n7.1 Copyright (c) 2000-2024')), 7);
    assert.equal(await ffmpegMajorVersion(await fakeBinary('gitbuild', 'ffmpeg version N-112345-gabcdef Copyright')), undefined);
  });

  it('asks a missing binary again next time, once it exists', async () => {
    const path = join(dir, 'later');
    assert.equal(await ffmpegMajorVersion(path), undefined);
    await fakeBinary('later', 'ffmpeg version 6.1.1');
    assert.equal(await ffmpegMajorVersion(path), 6);
  });

  it('picks the RTSP timeout option FFmpeg 4 and 5+ understand', () => {
    assert.equal(rtspTimeoutOption(4), '-stimeout');
    assert.equal(rtspTimeoutOption(5), '-timeout');
    assert.equal(rtspTimeoutOption(undefined), '-timeout');
  });
});
