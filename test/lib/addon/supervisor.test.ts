/**
 * fetchMqttService against a real HTTP server on 127.0.0.1 playing the Supervisor: the documented
 * answers (ok, 400 "Service not enabled", 401/403) and the broken ones (slow, garbage, huge, gone).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fetchMqttService, isTransient, SupervisorError } from '../../../nodes/lib/addon/supervisor.js';
import type { SupervisorErrorKind } from '../../../nodes/lib/addon/supervisor.js';
import { freePort } from '../../fixtures/ports.js';

const TOKEN = 'test-token-9f2c';
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

const OK_BODY = {
  result: 'ok',
  data: { addon: 'core_mosquitto', host: 'core-mosquitto', port: '1883', ssl: false, username: 'addons', password: 'Bro-ker', protocol: '3.1.1' },
};

describe('fetchMqttService', () => {
  let server: Server;
  let baseUrl: string;
  let handler: Handler;
  let seen: { url?: string; auth?: string } = {};

  before(async () => {
    server = createServer((req, res) => {
      seen = { url: req.url, auth: req.headers.authorization };
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen = {};
  });

  const call = (timeoutMs = 2000, signal?: AbortSignal) =>
    fetchMqttService(signal === undefined ? { baseUrl, token: TOKEN, timeoutMs } : { baseUrl, token: TOKEN, timeoutMs, signal });

  async function rejectsWith(kind: SupervisorErrorKind, promise: Promise<unknown>, message?: RegExp): Promise<SupervisorError> {
    const err = await promise.then(
      () => assert.fail(`expected a ${kind} SupervisorError`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SupervisorError, String(err));
    assert.equal(err.kind, kind, err.message);
    if (message !== undefined) assert.match(err.message, message);
    assert.ok(!err.message.includes(TOKEN), 'the token must never appear in a message');
    return err;
  }

  it('returns the broker, asking GET /services/mqtt with the bearer token', async () => {
    handler = (_req, res) => json(res, 200, OK_BODY);
    const service = await call();
    assert.deepEqual(service, { host: 'core-mosquitto', port: 1883, ssl: false, username: 'addons', password: 'Bro-ker', protocol: '3.1.1' });
    assert.equal(seen.url, '/services/mqtt');
    assert.equal(seen.auth, `Bearer ${TOKEN}`);
  });

  it('accepts a numeric port and ssl, and leaves out empty credentials', async () => {
    handler = (_req, res) => json(res, 200, { result: 'ok', data: { host: '172.30.33.4', port: 8883, ssl: true, username: '', password: '' } });
    assert.deepEqual(await call(), { host: '172.30.33.4', port: 8883, ssl: true });
  });

  it('returns undefined when no app provides MQTT (400 "Service not enabled") or the service is unknown (404)', async () => {
    handler = (_req, res) => json(res, 400, { result: 'error', message: 'Service not enabled' });
    assert.equal(await call(), undefined);
    handler = (_req, res) => json(res, 404, { result: 'error', message: 'Service does not exist' });
    assert.equal(await call(), undefined);
  });

  it('classifies a refused token as unauthorized, quoting the Supervisor but never the token', async () => {
    handler = (_req, res) => {
      res.writeHead(401, { 'Content-Type': 'text/plain' });
      res.end('401: Unauthorized');
    };
    const err = await rejectsWith('unauthorized', call(), /HTTP 401/);
    assert.equal(isTransient(err), false);
    handler = (_req, res) => json(res, 403, { result: 'error', message: 'No access to mqtt service!' });
    await rejectsWith('unauthorized', call(), /HTTP 403: No access to mqtt service!/);
  });

  it('classifies 5xx as a transient server error', async () => {
    handler = (_req, res) => json(res, 502, { result: 'error', message: 'Bad gateway' });
    const err = await rejectsWith('server_error', call(), /HTTP 502/);
    assert.equal(isTransient(err), true);
  });

  it('times out when the Supervisor sends no answer, within a bounded wait', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    const err = await rejectsWith('timeout', call(300), /within 300 ms/);
    assert.ok(Date.now() - started < 5000);
    assert.equal(isTransient(err), true);
  });

  it('times out when the body never ends', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"result":"ok","data":{');
    };
    await rejectsWith('timeout', call(300));
  });

  it('refuses garbage JSON, a wrong shape, a bad port and an oversized body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('<html>not json</html>');
    };
    await rejectsWith('bad_response', call());
    handler = (_req, res) => json(res, 200, { result: 'ok', data: { host: 'core-mosquitto' } });
    await rejectsWith('bad_response', call(), /no valid port/);
    handler = (_req, res) => json(res, 200, { result: 'ok', data: { host: 'x', port: 70000 } });
    await rejectsWith('bad_response', call(), /no valid port/);
    handler = (_req, res) => json(res, 200, { result: 'error', data: { host: 'x', port: 1 } });
    await rejectsWith('bad_response', call());
    handler = (_req, res) => json(res, 200, { result: 'ok', data: { host: 'x', port: 1883, pad: 'x'.repeat(100_000) } });
    await rejectsWith('bad_response', call(), /larger than/);
  });

  it('reports a Supervisor that cannot be reached as unreachable', async () => {
    const port = await freePort();
    const err = await rejectsWith('unreachable', fetchMqttService({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 2000 }), /ECONNREFUSED/);
    assert.equal(isTransient(err), true);
  });

  it('stops at once when the caller aborts', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await rejectsWith('unreachable', call(10_000, controller.signal), /cancelled/);
  });

  it('uses an injected fetch', async () => {
    const urls: string[] = [];
    const fetchImpl: typeof fetch = (input) => {
      urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      return Promise.resolve(new Response(JSON.stringify(OK_BODY), { status: 200 }));
    };
    const service = await fetchMqttService({ baseUrl: 'http://supervisor/', token: TOKEN, timeoutMs: 1000, fetchImpl });
    assert.equal(service?.host, 'core-mosquitto');
    assert.deepEqual(urls, ['http://supervisor/services/mqtt']);
  });
});
