/**
 * The streams file editor's endpoints against real files: masking, validation with lines, the
 * CSRF and etag guards, the restored passwords on disk, the atomic replace, and the hot reload
 * of the camera list that follows a save.
 */
import assert from 'node:assert/strict';
import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ApiContext } from '../../../nodes/lib/api/types.js';
import { CameraSource } from '../../../nodes/streampulse-cameras/camera-source.js';
import type { SourceState } from '../../../nodes/streampulse-cameras/camera-source.js';
import { call, dashboardFixture, writeHeaders } from './dashboard-fixtures.js';
import type { DashboardFixture, Reply } from './dashboard-fixtures.js';

const FILE_TEXT = `# my cameras
streams:
  - name: Front door
    url: rtsp://10.0.0.20/stream1
    username: admin
    password: hunter2
  - name: Garage
    url: rtsp://viewer:s3cr%40t@10.0.0.21/live
`;
const SECRETS = ['hunter2', 's3cr%40t', 's3cr@t'];

function assertClean(reply: Reply, what: string): void {
  for (const secret of SECRETS) assert.ok(!reply.text.includes(secret), `${what} leaks "${secret}": ${reply.text}`);
}

describe('api/streams-file', () => {
  let f: DashboardFixture;
  let file = '';
  let ctx: ApiContext;

  before(async () => {
    f = await dashboardFixture();
    file = join(f.dir, 'streams.yaml');
    ctx = { ...f.ctx, cameras: () => ({ streams: [], file }) };
  });
  beforeEach(async () => {
    await writeFile(file, FILE_TEXT);
    await chmod(file, 0o640);
  });
  after(async () => {
    await f.close();
  });

  async function load(): Promise<{ text: string; etag: string }> {
    const res = await call(ctx, '/api/streams-file');
    assert.equal(res.status, 200, res.text);
    assertClean(res, 'GET');
    const body = res.json();
    assert.equal(typeof body.text, 'string');
    assert.equal(typeof body.etag, 'string');
    return { text: body.text as string, etag: body.etag as string };
  }

  it('is 404 when the camera list is not a file', async () => {
    for (const cameras of [undefined, () => ({ streams: [] })]) {
      const res = await call({ ...f.ctx, ...(cameras ? { cameras } : {}) }, '/api/streams-file');
      assert.equal(res.status, 404);
      assert.equal(typeof res.json().error, 'string');
    }
  });

  it('sends the file with every password masked, no-store', async () => {
    const res = await call(ctx, '/api/streams-file');
    assert.equal(res.status, 200);
    assert.equal(res.headers['Cache-Control'], 'no-store');
    const { text } = res.json() as { text: string };
    assert.match(text, /^# my cameras\n/);
    assert.match(text, /password: "\*\*\*\*\*\*\*\*"/);
    assert.match(text, /url: "rtsp:\/\/viewer:\*\*\*\*\*\*\*\*@10\.0\.0\.21\/live"/);
    assertClean(res, 'GET');
  });

  it('checks a text: line numbers, field names, and whether each ******** can be restored', async () => {
    const { text } = await load();
    const good = await call(ctx, '/api/streams-file/check', { method: 'POST', body: { text } });
    assert.equal(good.status, 200);
    assert.deepEqual(good.json(), {
      ok: true,
      errors: [],
      // The loader's own warning, on the line of the URL, without the password it is about.
      warnings: [{ line: 8, message: 'streams[1].url: contains a password; prefer the username and password fields (password: ${ENV_VAR} keeps it out of the file)' }],
    });

    const broken = text.replace('rtsp://10.0.0.20/stream1', 'ftp://10.0.0.20/stream1');
    const bad = await call(ctx, '/api/streams-file/check', { method: 'POST', body: { text: broken } });
    const report = bad.json() as { ok: boolean; errors: { line: number | null; message: string }[] };
    assert.equal(report.ok, false);
    assert.equal(report.errors[0]?.line, 4);
    assert.match(report.errors[0]?.message ?? '', /^streams\[0\]\.url: /);

    const orphan = `${text}  - name: New\n    url: rtsp://10.0.0.30/\n    password: "********"\n`;
    const unrestorable = (await call(ctx, '/api/streams-file/check', { method: 'POST', body: { text: orphan } })).json() as typeof report;
    assert.equal(unrestorable.ok, false);
    assert.match(unrestorable.errors[0]?.message ?? '', /^streams\[2\]\.password: .*type the password again/);
    assert.equal(unrestorable.errors[0]?.line, 11);

    assert.equal((await call(ctx, '/api/streams-file/check', { method: 'POST', body: 'not json' })).status, 400);
    assert.equal((await call(ctx, '/api/streams-file/check', { method: 'POST', body: { text: 42 } })).status, 400);
  });

  it('refuses writes without the CSRF token, with a wrong one, cross-site, or not as JSON', async () => {
    const { text, etag } = await load();
    const edited = text.replace('name: Garage', 'name: Carport');
    const { 'x-streampulse-csrf': _token, ...noToken } = writeHeaders();
    const cases: [string, Record<string, string>, number, ApiContext][] = [
      ['no token', noToken, 403, ctx],
      ['wrong token', writeHeaders('guess'), 403, ctx],
      ['cross-site', { ...writeHeaders(), 'sec-fetch-site': 'cross-site' }, 403, ctx],
      ['same-site', { ...writeHeaders(), 'sec-fetch-site': 'same-site' }, 403, ctx],
      ['server without a token', writeHeaders(), 403, { ...ctx, csrfToken: '' }],
      ['form post', { ...writeHeaders(), 'content-type': 'application/x-www-form-urlencoded' }, 415, ctx],
    ];
    for (const [what, headers, status, context] of cases) {
      const res = await call(context, '/api/streams-file', { method: 'PUT', headers, body: { text: edited, etag } });
      assert.equal(res.status, status, `${what}: ${res.text}`);
      assert.equal(typeof res.json().error, 'string', what);
    }
    assert.equal(await readFile(file, 'utf8'), FILE_TEXT, 'no refused write touched the file');
  });

  it('answers 409 when the file changed on disk since it was loaded', async () => {
    const { text, etag } = await load();
    await writeFile(file, `${FILE_TEXT}  - name: Added elsewhere\n    url: rtsp://10.0.0.40/\n`);
    const res = await call(ctx, '/api/streams-file', { method: 'PUT', headers: writeHeaders(), body: { text, etag } });
    assert.equal(res.status, 409, res.text);
    assert.match(await readFile(file, 'utf8'), /Added elsewhere/, 'the other change is kept');
  });

  it('answers 400 with the errors and writes nothing when the text is invalid', async () => {
    const { text, etag } = await load();
    const res = await call(ctx, '/api/streams-file', { method: 'PUT', headers: writeHeaders(), body: { text: text.replace('name: Garage', 'name: Front door'), etag } });
    assert.equal(res.status, 400);
    const body = res.json() as { ok: boolean; error: string; errors: { line: number; message: string }[] };
    assert.equal(body.ok, false);
    // The duplicate name, and (since Garage now matches the other camera's id) the URL's password.
    assert.ok(body.errors.some((e) => /both have the name "Front door"/.test(e.message)), JSON.stringify(body.errors));
    assert.ok(body.errors.some((e) => /^streams\[1\]\.url: .*type the password again/.test(e.message)), JSON.stringify(body.errors));
    assertClean(res, 'PUT 400');
    assert.equal(await readFile(file, 'utf8'), FILE_TEXT);
  });

  it('saves atomically with the real passwords back, keeping mode and comments, and the camera list reloads', async () => {
    const source = await CameraSource.fromFile(file);
    const states: SourceState[] = [];
    const unsubscribe = source.subscribe((state) => states.push(state));
    try {
      assert.ok(states[0]?.ok && states[0].streams.length === 2);
      const inodeBefore = (await stat(file)).ino;
      const { text, etag } = await load();
      const edited = `${text}  - name: Back yard\n    url: http://10.0.0.50/snapshot.jpg\n    password: typed-in\n`;
      const res = await call(ctx, '/api/streams-file', { method: 'PUT', headers: writeHeaders(), body: { text: edited, etag } });
      assert.equal(res.status, 200, res.text);
      assertClean(res, 'PUT');
      const body = res.json() as { ok: boolean; etag: string };
      assert.equal(body.ok, true);

      const onDisk = await readFile(file, 'utf8');
      assert.match(onDisk, /^# my cameras\n/, 'comments survive');
      assert.match(onDisk, /password: hunter2\n/, 'the masked password is restored');
      assert.match(onDisk, /viewer:s3cr%40t@10\.0\.0\.21/, 'the URL password is restored');
      assert.match(onDisk, /password: typed-in/);
      assert.ok(!onDisk.includes('********'));
      const info = await stat(file);
      assert.equal(info.mode & 0o777, 0o640, 'the file keeps its mode');
      assert.notEqual(info.ino, inodeBefore, 'replaced by rename, not rewritten in place');
      assert.deepEqual((await readdir(f.dir)).filter((n) => n.includes('.tmp')), [], 'no temporary file is left');
      assert.equal((await load()).etag, body.etag, 'the new etag is the etag of the file on disk');

      const deadline = Date.now() + 10_000;
      while (!states.some((s) => s.ok && s.streams.length === 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const reloaded = states.find((s) => s.ok && s.streams.length === 3);
      assert.ok(reloaded?.ok, `the watcher did not reload: ${JSON.stringify(states.map((s) => s.ok))}`);
      const byId = new Map(reloaded.streams.map((s) => [s.id, s]));
      assert.equal(byId.get('front_door')?.password, 'hunter2');
      assert.equal(byId.get('back_yard')?.password, 'typed-in');
      assert.equal(reloaded.file, file);
    } finally {
      unsubscribe();
      await source.close();
    }
  });

  it('creates a missing file with the etag "none"', async () => {
    const missing = join(f.dir, 'new-streams.yaml');
    const context: ApiContext = { ...f.ctx, cameras: () => ({ streams: [], file: missing }) };
    const first = (await call(context, '/api/streams-file')).json();
    assert.deepEqual({ text: first.text, etag: first.etag }, { text: '', etag: 'none' });
    const text = 'streams:\n  - name: Porch\n    url: rtsp://10.0.0.60/\n';
    const res = await call(context, '/api/streams-file', { method: 'PUT', headers: writeHeaders(), body: { text, etag: 'none' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(await readFile(missing, 'utf8'), text);
    assert.equal((await stat(missing)).mode & 0o777, 0o600, 'a new streams file is private');
  });
});
