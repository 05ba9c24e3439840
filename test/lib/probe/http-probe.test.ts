import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeHttp } from '../../../nodes/lib/probe/http-probe.js';
import { probe } from '../../../nodes/lib/probe/index.js';
import type { ProbeContext } from '../../../nodes/lib/probe/types.js';
import { CAMERA_PASSWORD, CAMERA_USER, startHostileHttp } from '../../fixtures/hostile-http.js';
import type { HostileHttp } from '../../fixtures/hostile-http.js';
import { freePort, startPythonHttp, whenListening } from '../../fixtures/http-media.js';
import type { Proc } from '../../fixtures/http-media.js';
import { ffmpegJpeg } from '../../fixtures/jpeg-samples.js';
import { makeContext, runModule } from '../../fixtures/probe-context.js';
import type { Run } from '../../fixtures/probe-context.js';

/** Deadline overshoot we accept: timers, socket teardown and a loaded CI machine. */
const MARGIN_MS = 400;

function runHttp(url: string, overrides: Partial<ProbeContext> & { timeoutMs?: number } = {}): Promise<Run> {
  return runModule(probeHttp, makeContext(url, overrides));
}

describe('probeHttp against a hostile camera', () => {
  let cam: HostileHttp;
  let jpeg: Buffer;
  before(async () => {
    jpeg = ffmpegJpeg(640, 480);
    cam = await startHostileHttp(jpeg);
  });
  after(async () => {
    await cam.close();
  });

  it('reads a snapshot: ok, 640x480, timings and the camera clock skew', async () => {
    const r = await runHttp(cam.url('/snapshot.jpg'));
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.ctx.facts.protocol, 'jpeg');
    assert.deepEqual(r.ctx.facts.media, { codec: 'JPEG', width: 640, height: 480 });
    assert.ok(r.ctx.timings.connectMs !== undefined && r.ctx.timings.firstResponseMs !== undefined && r.ctx.timings.firstFrameMs !== undefined);
    assert.ok(r.ctx.timings.connectMs <= r.ctx.timings.firstResponseMs && r.ctx.timings.firstResponseMs <= r.ctx.timings.firstFrameMs);
    const skew = r.ctx.facts.clockSkewMs ?? 0;
    assert.ok(Math.abs(skew - 3_600_000) < 2_000, `skew ${skew}`);
  });

  it('calls a 200 HTML login page bad_frame, with its title, whether typed or not', async () => {
    for (const path of ['/login', '/login-untyped']) {
      const r = await runHttp(cam.url(path));
      assert.equal(r.code, 'bad_frame');
      assert.match(r.message, /^camera answered 200 with an HTML page titled "NVR Web Login" \(a login page\?\) instead of video$/);
    }
  });

  it('calls a text body bad_frame and masks a password it quotes', async () => {
    const r = await runHttp(cam.url('/text', `${CAMERA_USER}:${CAMERA_PASSWORD}`));
    assert.equal(r.code, 'bad_frame');
    assert.match(r.message, /text\/plain text instead of video/);
    assert.ok(!r.everything.includes(CAMERA_PASSWORD), r.everything);
  });

  it('sniffs a JPEG served as application/octet-stream', async () => {
    const r = await runHttp(cam.url('/octet'));
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.ctx.facts.protocol, 'jpeg');
  });

  it('calls a truncated JPEG bad_frame, cut cleanly or by a hang-up', async () => {
    const clean = await runHttp(cam.url('/truncated.jpg'));
    assert.equal(clean.code, 'bad_frame');
    assert.match(clean.message, /^truncated JPEG: no EOI/);
    const hangup = await runHttp(cam.url('/hangup.jpg'));
    assert.equal(hangup.code, 'bad_frame', hangup.message);
    assert.match(hangup.message, /truncated JPEG/);
  });

  it('maps 404 → not_found, 500 → server_error', async () => {
    assert.equal((await runHttp(cam.url('/404'))).code, 'not_found');
    assert.equal((await runHttp(cam.url('/500'))).code, 'server_error');
  });

  it('follows one redirect, and no more', async () => {
    const ok = await runHttp(cam.url('/redirect'));
    assert.equal(ok.code, 'ok', ok.message);
    const loop = await runHttp(cam.url('/redirect-loop'));
    assert.equal(loop.code, 'protocol_error');
    assert.match(loop.message, /redirected more than 1/);
  });

  it('401 forever: auth_failed after exactly one retry, naming the schemes, never the password', async () => {
    const before = cam.hits.get('/401') ?? 0;
    const r = await runHttp(cam.url('/401', `${CAMERA_USER}:${CAMERA_PASSWORD}`));
    assert.equal(r.code, 'auth_failed');
    assert.match(r.message, /Basic, Digest MD5/);
    assert.match(r.message, /user "admin"/);
    assert.equal((cam.hits.get('/401') ?? 0) - before, 2);
    assert.ok(!r.everything.includes(CAMERA_PASSWORD));
    const anonymous = await runHttp(cam.url('/401'));
    assert.equal(anonymous.code, 'auth_failed');
    assert.match(anonymous.message, /no credentials were given/);
    const negotiate = await runHttp(cam.url('/negotiate', 'a:b'));
    assert.equal(negotiate.code, 'auth_failed');
    assert.match(negotiate.message, /offers Negotiate, which StreamPulse cannot answer/);
  });

  it('answers Digest MD5, Digest SHA-256 (chosen over MD5) and Basic, verified by the camera', async () => {
    for (const [path, algorithm] of [['/digest-md5.jpg', 'MD5'], ['/digest-sha256.jpg', 'SHA-256'], ['/basic.jpg', undefined]] as const) {
      const connections = cam.connections();
      const r = await runHttp(cam.url(path, `${CAMERA_USER}:${CAMERA_PASSWORD}`));
      assert.equal(r.code, 'ok', `${path}: ${r.message}`);
      assert.equal(cam.connections() - connections, 1, 'the 401 and the retry share one connection');
      assert.deepEqual(r.ctx.facts.media, { codec: 'JPEG', width: 640, height: 480 });
      assert.ok(!r.everything.includes(CAMERA_PASSWORD));
      if (algorithm) assert.match(cam.authorizations.at(-1) ?? '', new RegExp(`algorithm=${algorithm},`));
    }
    const wrong = await runHttp(cam.url('/digest-sha256.jpg', `${CAMERA_USER}:wrong`));
    assert.equal(wrong.code, 'auth_failed');
    assert.match(wrong.message, /Digest MD5, Digest SHA-256/);
  });

  it('a camera that never answers: timeout within the deadline', async () => {
    for (const path of ['/hang', '/slow-headers']) {
      const r = await runHttp(cam.url(path), { timeoutMs: 1500 });
      assert.equal(r.code, 'timeout', r.message);
      assert.match(r.message, /sent no response headers within 1500 ms/);
      assert.ok(r.elapsedMs < 1500 + MARGIN_MS, `took ${r.elapsedMs} ms`);
      assert.ok(r.ctx.timings.connectMs !== undefined);
    }
  });

  it('a closed port is refused; an abort rejects with the caller reason and releases everything', async () => {
    const { createServer } = await import('node:net');
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as { port: number }).port;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    assert.equal((await runHttp(`http://127.0.0.1:${port}/x.jpg`)).code, 'refused');

    const ctx = makeContext(cam.url('/hang'), { timeoutMs: 5000 });
    const reason = new Error('caller gave up');
    setTimeout(() => ctx.controller.abort(reason), 100);
    const started = performance.now();
    await assert.rejects(probeHttp(ctx), (err) => err === reason);
    assert.ok(performance.now() - started < 1000);
  });

  it('leaves no socket or timer behind after many failing probes', async () => {
    const count = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
    const baseline = count();
    const paths = ['/login', '/404', '/500', '/401', '/truncated.jpg', '/hangup.jpg', '/mjpeg-html-part', '/redirect'];
    for (let i = 0; i < 5; i++) {
      await Promise.all(paths.map((p) => runHttp(cam.url(p, 'u:p'), { timeoutMs: 2000 })));
    }
    await Promise.all(Array.from({ length: 5 }, () => runHttp(cam.url('/hang'), { timeoutMs: 300 })));
    // The server side closes its sockets when it sees our FIN: give it a moment.
    for (let i = 0; i < 50 && count() > baseline; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(count() <= baseline, `resources: ${process.getActiveResourcesInfo().join(', ')}`);
  });

  it('end to end through probe(): Digest SHA-256 with credentials in the URL, redacted result', async () => {
    const result = await probe({ url: cam.url('/digest-sha256.jpg', `${CAMERA_USER}:${CAMERA_PASSWORD}`) }, { timeoutMs: 3000 });
    assert.equal(result.code, 'ok', result.message);
    assert.equal(result.stream.protocol, 'jpeg');
    assert.deepEqual(result.media, { codec: 'JPEG', width: 640, height: 480 });
    assert.ok(result.evidence?.frameDigest && /^[0-9a-f]{40}$/.test(result.evidence.frameDigest));
    assert.ok(!JSON.stringify(result).includes(CAMERA_PASSWORD));
    const failed = await probe({ url: cam.url('/digest-md5.jpg'), username: CAMERA_USER, password: 'wrong-s3cret' }, { timeoutMs: 3000 });
    assert.equal(failed.code, 'auth_failed');
    assert.ok(!JSON.stringify(failed).includes('wrong-s3cret'));
  });
});

describe('JPEG snapshots from python http.server (files written by ffmpeg)', () => {
  let dir: string;
  let web: Proc;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'streampulse-snap-'));
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x480', '-frames:v', '1', join(dir, 'snap.jpg')], { timeout: 20_000 });
    copyFileSync(join(dir, 'snap.jpg'), join(dir, 'snapshot.cgi'));
    writeFileSync(join(dir, 'login.jpg'), '<!DOCTYPE html><html><head><title>Sign in</title></head></html>');
    port = await freePort();
    web = startPythonHttp(port, dir);
    await whenListening(() => runHttp(`http://127.0.0.1:${port}/snap.jpg`));
  });
  after(async () => {
    await web.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ok with size; frozen when the same picture comes again', async () => {
    const first = await runHttp(`http://127.0.0.1:${port}/snap.jpg`);
    assert.equal(first.code, 'ok', first.message);
    assert.deepEqual(first.ctx.facts.media, { codec: 'JPEG', width: 640, height: 480 });
    assert.ok(Math.abs(first.ctx.facts.clockSkewMs ?? 99_999) < 1500, `skew ${first.ctx.facts.clockSkewMs}`);
    const second = await runHttp(`http://127.0.0.1:${port}/snap.jpg`, { ...(first.evidence ? { previous: first.evidence } : {}) });
    assert.equal(second.code, 'frozen');
    assert.deepEqual(second.ctx.facts.media, { codec: 'JPEG', width: 640, height: 480 });
  });

  it('kind jpeg forces the snapshot reading of an untyped URL', async () => {
    const r = await runHttp(`http://127.0.0.1:${port}/snapshot.cgi`, { kind: 'jpeg' });
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.ctx.facts.protocol, 'jpeg');
  });

  it('an HTML page served as image/jpeg: bad_frame naming what it starts with', async () => {
    const r = await runHttp(`http://127.0.0.1:${port}/login.jpg`);
    assert.equal(r.code, 'bad_frame');
    assert.match(r.message, /^not a JPEG: starts with "<!DOCTYPE html>/);
  });
});

describe('HTTPS with a self-signed certificate', () => {
  let dir: string;
  let server: ReturnType<typeof createHttpsServer>;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'streampulse-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=camera.invalid'], { stdio: 'ignore', timeout: 20_000 });
    const jpeg = ffmpegJpeg(320, 240);
    server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(jpeg);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('tlsVerify off (the default for cameras): ok, connect time includes the handshake', async () => {
    const r = await runHttp(`https://127.0.0.1:${port}/snap.jpg`);
    assert.equal(r.code, 'ok', r.message);
    assert.ok(r.ctx.timings.connectMs !== undefined);
  });

  it('tlsVerify on: tls', async () => {
    const r = await runHttp(`https://127.0.0.1:${port}/snap.jpg`, { tlsVerify: true });
    assert.equal(r.code, 'tls', r.message);
  });
});
