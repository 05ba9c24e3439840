/** The dashboard's files: content types, the security headers, no way out of the folder, the redirect to `<base>/`. */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ApiContext } from '../../../nodes/lib/api/types.js';
import { call, dashboardFixture } from './dashboard-fixtures.js';
import type { DashboardFixture } from './dashboard-fixtures.js';

const CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'self'";

describe('dashboard static files', () => {
  let f: DashboardFixture;
  let ctx: ApiContext;

  before(async () => {
    f = await dashboardFixture();
    const staticDir = join(f.dir, 'dashboard');
    await mkdir(staticDir);
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>StreamPulse</title><script type="module" src="ui/app.js"></script>');
    await writeFile(join(staticDir, 'app.js'), 'export const x = 1;\n');
    await writeFile(join(staticDir, 'style.css'), 'body { color: red }\n');
    await writeFile(join(staticDir, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(staticDir, 'notes.unknownext'), 'x');
    await writeFile(join(staticDir, '.env'), 'SECRET=1');
    await mkdir(join(staticDir, 'sub'));
    await writeFile(join(f.dir, 'secret.txt'), 'outside the folder');
    ctx = { ...f.ctx, staticDir };
  });
  after(async () => {
    await f.close();
  });

  it('serves index.html at / and files under ui/ with their content types and a strict CSP', async () => {
    const cases: [string, string, RegExp][] = [
      ['/', 'text/html; charset=utf-8', /<title>StreamPulse<\/title>/],
      ['/ui/index.html', 'text/html; charset=utf-8', /<title>/],
      ['/ui/app.js', 'text/javascript; charset=utf-8', /export const x/],
      ['/ui/style.css', 'text/css; charset=utf-8', /color: red/],
      ['/ui/icon.svg', 'image/svg+xml', /<svg/],
      ['/ui/notes.unknownext', 'application/octet-stream', /x/],
    ];
    for (const [path, type, content] of cases) {
      const res = await call(ctx, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['Content-Type'], type, path);
      assert.match(res.text, content, path);
      assert.equal(res.headers['X-Content-Type-Options'], 'nosniff', path);
      const csp = res.headers['Content-Security-Policy'] ?? '';
      assert.ok(csp.startsWith(CSP), `${path}: ${csp}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, path);
    }
  });

  it('answers a repeated request with 304 and HEAD without a body', async () => {
    const first = await call(ctx, '/ui/app.js');
    const etag = first.headers.ETag ?? '';
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
    const again = await call(ctx, '/ui/app.js', { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.bytes.length, 0);
    const head = await call(ctx, '/ui/app.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.bytes.length, 0);
    assert.equal((await call(ctx, '/ui/app.js', { method: 'POST' })).status, 405);
  });

  it('refuses every name that could leave the folder or reach a hidden file', async () => {
    for (const name of ['..', '.', '.env', '..%2Fsecret.txt', '%2e%2e%2fsecret.txt', '..%5Csecret.txt', 'App.js', 'sub', 'missing.js', 'app.js%00.css']) {
      const res = await call(ctx, `/ui/${name}`);
      assert.equal(res.status, 404, name);
      assert.doesNotMatch(res.text, /outside the folder|SECRET/, name);
      assert.equal(typeof res.json().error, 'string', name);
    }
    // More than one segment is not a dashboard path at all (Node-RED answers its own 404).
    await assert.rejects(call(ctx, '/ui/../secret.txt'), /not handled/);
    await assert.rejects(call(ctx, '/ui/sub/x.js'), /not handled/);
  });

  it('redirects <base> to <base>/ with a relative Location', async () => {
    const plain = await call(ctx, '', { base: '/streampulse' });
    assert.equal(plain.status, 302);
    assert.equal(plain.headers.Location, 'streampulse/');
    const nested = await call(ctx, '', { base: '/cams/dash', query: 'stream=gate' });
    assert.equal(nested.headers.Location, 'dash/?stream=gate');
    assert.equal((await call(ctx, '', { method: 'PUT', base: '/streampulse' })).status, 405);
  });

  it('says the dashboard is not installed when there is no folder', async () => {
    const res = await call(f.ctx, '/');
    assert.equal(res.status, 404);
    assert.match(String(res.json().error), /not installed/);
  });
});
