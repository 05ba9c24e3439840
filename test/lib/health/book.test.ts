import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROBE_CODES } from '../../../nodes/lib/heartbeat.js';
import type { ProbeCode, ProbeResult } from '../../../nodes/lib/heartbeat.js';
import { HealthBook } from '../../../nodes/lib/health/book.js';
import { classify } from '../../../nodes/lib/health/classify.js';

const T0 = Date.parse('2025-06-01T12:00:00.000Z');

function result(id: string, code: ProbeCode, seconds: number): ProbeResult {
  return {
    stream: { id, name: id, url: `rtsp://${id}.test/`, protocol: 'rtsp' },
    ts: new Date(T0 + seconds * 1000).toISOString(),
    ok: code === 'ok',
    code,
    message: code,
    latencyMs: 10,
    timings: {},
  };
}

describe('classify', () => {
  it('sorts every probe code into good, partial or bad', () => {
    const kinds = Object.fromEntries(PROBE_CODES.map((code) => [code, classify(result('x', code, 0))]));
    assert.deepEqual(kinds, {
      ok: 'good',
      timeout: 'bad',
      refused: 'bad',
      unreachable: 'bad',
      dns: 'bad',
      tls: 'bad',
      auth_failed: 'bad',
      not_found: 'bad',
      server_error: 'bad',
      protocol_error: 'bad',
      no_video: 'bad',
      no_frame: 'partial',
      bad_frame: 'partial',
      frozen: 'partial',
    });
  });
});

describe('HealthBook', () => {
  it('keeps one tracker per stream id', () => {
    const book = new HealthBook({ failuresToOffline: 3 });
    book.update(result('a', 'ok', 0));
    book.update(result('b', 'timeout', 0));
    book.update(result('b', 'timeout', 15));
    assert.equal(book.get('a')?.state, 'online');
    assert.equal(book.get('b')?.state, 'unknown', 'the options reach every tracker');
    assert.equal(book.update(result('b', 'timeout', 30)).health.state, 'offline');
    assert.equal(book.get('nope'), undefined);
    assert.equal(book.size, 2);
    book.retain(['b', 'c']);
    assert.equal(book.size, 1);
    assert.equal(book.delete('b'), true);
    assert.equal(book.size, 0);
  });

  it('snapshots and restores every stream, skipping invalid entries', () => {
    const book = new HealthBook();
    book.update(result('a', 'ok', 0));
    book.update(result('b', 'refused', 0));
    book.update(result('b', 'refused', 15));
    const saved = JSON.parse(JSON.stringify(book.snapshot())) as Record<string, unknown>;
    saved.c = { bogus: true };
    saved.d = saved.a; // a snapshot filed under another id is not that stream's
    const restored = new HealthBook();
    assert.equal(restored.restore(saved), 2);
    assert.deepEqual(restored.get('b'), book.get('b'));
    assert.equal(restored.get('b')?.since, new Date(T0).toISOString());
    assert.equal(restored.get('c'), undefined);
    assert.equal(restored.update(result('b', 'ok', 60)).outage?.durationMs, 60_000);
    assert.equal(restored.restore(null), 0);
  });
});
