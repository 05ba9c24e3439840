import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { latencyPercentiles, uptime } from '../../../nodes/lib/store/queries.js';
import { T0 } from '../store/fixtures/heartbeats.js';
import { DAY, ESCAPE_NAME, GATE_OUTAGE, HOUR, MIN, NOW, apiFixture, getJson, request } from './fixtures.js';
import type { ApiFixture } from './fixtures.js';

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `not an object: ${JSON.stringify(value)}`);
  return value as Json;
};
const list = (value: unknown): Json[] => {
  assert.ok(Array.isArray(value), `not an array: ${JSON.stringify(value)}`);
  return value.map(obj);
};

describe('HTTP API: JSON endpoints', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture();
  });
  after(async () => {
    await f.close();
  });

  it('lists every stream with state, last heartbeat and 24 h / 7 d uptime equal to uptime()', async () => {
    const { status, headers, body } = await getJson(f.ctx, '/api/streams');
    assert.equal(status, 200);
    assert.equal(headers['Content-Type'], 'application/json; charset=utf-8');
    assert.equal(headers['Cache-Control'], 'no-store');
    assert.equal(body.generatedAt, new Date(NOW).toISOString());
    assert.equal(body.timezone, 'Europe/Berlin');
    const streams = list(body.streams);
    assert.deepEqual(streams.map((s) => s.id), ['esc', 'gate', 'pw', 'yard']);
    const byId = new Map(streams.map((s) => [s.id, s]));
    const gate = obj(byId.get('gate'));
    assert.equal(gate.name, 'Gate');
    assert.equal(gate.state, 'online');
    assert.equal(obj(byId.get('esc')).state, 'offline');
    assert.equal(obj(byId.get('esc')).name, ESCAPE_NAME);
    const last = obj(gate.last);
    assert.equal(last.tsMs, T0 + Math.floor((NOW - 1 - T0) / MIN) * MIN);
    assert.equal(last.ts, new Date(last.tsMs).toISOString());
    assert.deepEqual(last.media, { codec: 'h264', width: 1920, height: 1080, fps: 25, bitrateKbps: 4096 });
    assert.equal(last.code, 'ok');
    for (const s of streams) {
      const id = s.id as string;
      const u = obj(s.uptime);
      for (const [key, days] of [['24h', 1], ['7d', 7]] as const) {
        const want = await uptime(f.db, id, NOW - days * DAY, NOW);
        assert.deepEqual(obj(u[key]), {
          pct: want.uptimePct, onlineMs: want.onlineMs, observedMs: want.observedMs, probes: want.probes, failures: want.failures,
        }, `${id} ${key}`);
      }
    }
    // gate was down 30 min of its 3 days.
    const week = obj(obj(gate.uptime)['7d']);
    assert.ok(Math.abs((week.pct as number) - (100 * (3 * DAY - 30 * MIN)) / (3 * DAY)) < 0.01, String(week.pct));
  });

  it('never sends a password, even from a legacy row', async () => {
    for (const path of ['/api/streams', '/api/streams/pw', '/api/streams/pw/heartbeats', '/api/outages']) {
      const res = await request(f.ctx, path, `from=${T0}&to=${NOW}`);
      assert.ok(res && res.status === 200, path);
      assert.ok(!res.text.includes('secret'), `${path} leaks: ${res.text.slice(0, 300)}`);
      assert.ok(!res.text.includes('token=abc'), path);
    }
    const { body } = await getJson(f.ctx, '/api/streams/pw');
    assert.equal(obj(body.stream).url, 'rtsp://admin:***@10.0.0.5/live?token=***');
  });

  it('describes one stream: since, uptime 24 h / 7 d / 30 d, latency p50/p95 and last heartbeat', async () => {
    const { status, body } = await getJson(f.ctx, '/api/streams/gate');
    assert.equal(status, 200);
    const s = obj(body.stream);
    assert.equal(s.id, 'gate');
    assert.equal(s.since, new Date(T0).toISOString());
    assert.equal(s.sinceMs, T0);
    const u = obj(s.uptime);
    const month = await uptime(f.db, 'gate', NOW - 30 * DAY, NOW);
    assert.equal(obj(u['30d']).pct, month.uptimePct);
    assert.equal(obj(u['30d']).observedMs, month.observedMs);
    assert.deepEqual(s.latency24h, await latencyPercentiles(f.db, 'gate', NOW - DAY, NOW));
    assert.equal(obj(s.last).code, 'ok');
  });

  it('answers 404 JSON for an unknown stream and 400 for a malformed id', async () => {
    for (const path of ['/api/streams/nope', '/api/streams/nope/heartbeats', '/api/streams/nope/outages', '/api/streams/nope/rollups']) {
      const { status, headers, body } = await getJson(f.ctx, path);
      assert.equal(status, 404, path);
      assert.equal(headers['Content-Type'], 'application/json; charset=utf-8');
      assert.deepEqual(body, { error: 'stream not found: nope' });
    }
    for (const id of ['Gate', 'a%20b', '-x', 'x'.repeat(65), '%E0%A4%A', "a'%20OR%20'1'='1"]) {
      const { status, body } = await getJson(f.ctx, `/api/streams/${id}`);
      assert.equal(status, 400, id);
      assert.match(String(body.error), /^id: not a stream id/, id);
    }
    // Percent-encoding of a valid id is decoded.
    assert.equal((await getJson(f.ctx, '/api/streams/%67ate')).status, 200);
  });

  it('pages heartbeats by time with a capped limit', async () => {
    const from = new Date(NOW - HOUR).toISOString();
    const { status, body } = await getJson(f.ctx, '/api/streams/gate/heartbeats', `from=${from}&limit=25`);
    assert.equal(status, 200);
    assert.equal(body.from, from);
    assert.equal(body.toMs, NOW);
    assert.equal(body.count, 25);
    assert.equal(body.truncated, true);
    const rows = list(body.heartbeats);
    assert.ok(rows.every((r, i) => i === 0 || (r.tsMs as number) > (rows[i - 1]?.tsMs as number)), 'oldest first');
    assert.ok((rows[0]?.tsMs as number) >= NOW - HOUR);
    const next = await getJson(f.ctx, '/api/streams/gate/heartbeats', `from=${String(body.nextFrom)}&to=${NOW}&limit=1000`);
    assert.equal((next.body.count as number) + 25, 60, 'the second page holds the rest of the hour');
    assert.equal(next.body.truncated, false);
    assert.equal(next.body.nextFrom, null);
    const capped = await getJson(f.ctx, '/api/streams/gate/heartbeats', `from=${T0}&to=${NOW}&limit=99999999`);
    assert.equal(capped.body.limit, 10_000);
    assert.equal(capped.body.count, 3 * 24 * 60 + 1);
    // Default window: the last 24 h.
    const day = await getJson(f.ctx, '/api/streams/yard/heartbeats', 'limit=5000');
    assert.equal(day.body.fromMs, NOW - DAY);
    assert.equal(day.body.count, 24 * 60);
  });

  it('rejects bad parameters with 400 naming the parameter', async () => {
    const cases: [string, string, string][] = [
      ['/api/streams/gate/heartbeats', 'from=yesterday', 'from: not a time (ISO-8601 or ms epoch)'],
      ['/api/streams/gate/heartbeats', 'to=2026-13-45T00:00:00Z', 'to: not a time (ISO-8601 or ms epoch)'],
      ['/api/streams/gate/heartbeats', `from=${NOW}&to=${NOW - 1}`, 'from: must be before to'],
      ['/api/streams/gate/heartbeats', 'from=1&from=2', 'from: given more than once'],
      ['/api/streams/gate/heartbeats', 'limit=0', 'limit: not a positive integer'],
      ['/api/streams/gate/heartbeats', 'limit=ten', 'limit: not a positive integer'],
      ['/api/streams/gate/rollups', 'level=week', 'level: must be one of minute, hour, day'],
      ['/api/outages', 'stream=Not%20Valid', 'stream: not a stream id (^[a-z0-9][a-z0-9_-]{0,63}$)'],
      ['/api/export.csv', 'stream=gate&stream=..%2Fetc', 'stream: not a stream id (^[a-z0-9][a-z0-9_-]{0,63}$)'],
      ['/api/streams/gate/heartbeats', 'from=99999-01-01', 'from: not a time (ISO-8601 or ms epoch)'],
      ['/api/streams/gate/heartbeats', 'from=2026-02-30', 'from: not a time (ISO-8601 or ms epoch)'],
      ['/api/streams/gate/heartbeats', 'from=2025-02-29T00:00Z', 'from: not a time (ISO-8601 or ms epoch)'],
      ['/api/streams/gate/heartbeats', 'from=9999999999999999', 'from: out of range (years 0000 to 9999)'],
    ];
    for (const [path, query, error] of cases) {
      const res = await getJson(f.ctx, path, query);
      assert.equal(res.status, 400, `${path}?${query}`);
      assert.deepEqual(res.body, { error }, `${path}?${query}`);
    }
  });

  it('reads ISO-8601 with offsets, without offset (UTC), date-only, and ms epoch alike', async () => {
    const at = T0 + DAY + 2 * HOUR;
    for (const from of ['2026-01-02T02:00:00Z', '2026-01-02T03:00:00+01:00', '2026-01-02T03:00:00.000+0100', '2026-01-02T02:00', '2026-01-02 02:00:00.000000Z', String(at)]) {
      const { status, body } = await getJson(f.ctx, '/api/streams/gate/heartbeats', `from=${encodeURIComponent(from)}&limit=1`);
      assert.equal(status, 200, from);
      assert.equal(body.fromMs, at, from);
    }
    assert.equal((await getJson(f.ctx, '/api/streams/gate/heartbeats', 'from=2026-01-02&limit=1')).body.fromMs, T0 + DAY);
    // A leap day exists in 2024 (and in 2000, a multiple of 400).
    const leap = await getJson(f.ctx, '/api/streams/gate/heartbeats', 'from=2024-02-29T00:00Z&to=2000-02-29');
    assert.deepEqual(leap.body, { error: 'from: must be before to' });
  });

  it('lists outages of one stream and of all, open ones included', async () => {
    const gate = await getJson(f.ctx, '/api/streams/gate/outages', `from=${T0}&to=${NOW}`);
    const rows = list(gate.body.outages);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0], {
      stream: 'gate', start: new Date(GATE_OUTAGE.start).toISOString(), startMs: GATE_OUTAGE.start,
      end: new Date(GATE_OUTAGE.end).toISOString(), endMs: GATE_OUTAGE.end, open: false, durationMs: 30 * MIN,
      code: 'timeout', message: 'timeout while probing',
    });
    const all = await getJson(f.ctx, '/api/outages', `from=${T0}&to=${NOW}`);
    assert.deepEqual(list(all.body.outages).map((o) => [o.stream, o.open]), [['gate', false], ['esc', true]]);
    const esc = await getJson(f.ctx, '/api/outages', `from=${T0}&to=${NOW}&stream=esc`);
    assert.deepEqual(list(esc.body.outages).map((o) => o.stream), ['esc']);
    assert.equal(list(esc.body.outages)[0]?.message, 'refused by rtsp://admin:***@10.0.0.9/');
    // Default window: the last 24 h, which still holds gate's outage; one ending at `from` is outside.
    assert.deepEqual(list((await getJson(f.ctx, '/api/outages')).body.outages).map((o) => o.stream), ['gate', 'esc']);
    const later = await getJson(f.ctx, '/api/outages', `from=${GATE_OUTAGE.end}`);
    assert.deepEqual(list(later.body.outages).map((o) => o.stream), ['esc']);
  });

  it('returns roll-up rows with uptime and p50/p95 from the sketch', async () => {
    const from = GATE_OUTAGE.start - HOUR;
    const { status, body } = await getJson(f.ctx, '/api/streams/gate/rollups', `level=hour&from=${from}&to=${from + 3 * HOUR}`);
    assert.equal(status, 200);
    assert.equal(body.level, 'hour');
    const rows = list(body.rollups);
    assert.deepEqual(rows.map((r) => r.bucketMs), [from, from + HOUR, from + 2 * HOUR]);
    assert.deepEqual(rows.map((r) => r.uptimePct), [100, 50, 100]);
    assert.deepEqual(rows.map((r) => [r.probes, r.failures]), [[60, 0], [60, 30], [60, 0]]);
    const latency = obj(rows[0]?.latency);
    assert.equal(latency.count, 60);
    assert.ok(typeof latency.p50 === 'number' && typeof latency.p95 === 'number' && latency.p50 <= latency.p95);
    assert.ok((latency.min as number) <= latency.p50 && latency.p95 <= (latency.max as number));
    const minutes = await getJson(f.ctx, '/api/streams/gate/rollups', `level=minute&from=${GATE_OUTAGE.start}&to=${GATE_OUTAGE.start + 5 * MIN}`);
    assert.deepEqual(list(minutes.body.rollups).map((r) => r.uptimePct), [0, 0, 0, 0, 0]);
    const days = await getJson(f.ctx, '/api/streams/gate/rollups', `level=day&from=${T0}&to=${NOW}`);
    assert.equal(list(days.body.rollups).length, 3);
    assert.equal((await getJson(f.ctx, '/api/streams/gate/rollups', `from=${T0}&to=${NOW}`)).body.level, 'hour');
  });

  it('answers 405 with Allow for other methods, HEAD without a body, and ignores unknown paths', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      for (const path of ['/api/streams', '/api/streams/gate', '/api/export.csv', '/metrics']) {
        const res = await request(f.ctx, path, '', method);
        assert.equal(res?.status, 405, `${method} ${path}`);
        assert.equal(res.headers.Allow, 'GET, HEAD');
        assert.deepEqual(JSON.parse(res.text), { error: `method ${method} not allowed` });
      }
    }
    const head = await request(f.ctx, '/api/streams', '', 'HEAD');
    assert.equal(head?.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers['Content-Type'], 'application/json; charset=utf-8');
    // '/' is the dashboard's index (test/lib/api/dashboard-static.test.ts).
    for (const path of ['/index.html', '/api', '/api/config', '/api/streams/gate/frames', '/api//streams', 'api/streams', '/metrics/x']) {
      assert.equal(await request(f.ctx, path), undefined, path);
    }
    assert.equal((await request(f.ctx, '/api/streams/'))?.status, 200, 'one trailing slash is fine');
  });

  it('turns a store failure into a JSON 500 instead of throwing', async () => {
    const broken = await apiFixture();
    await broken.db.close();
    try {
      const { status, body } = await getJson(broken.ctx, '/api/streams');
      assert.equal(status, 500);
      assert.match(String(body.error), /^store error \(other\): /);
    } finally {
      broken.dir.remove();
    }
  });
});
