import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeCounterBook } from '../../../nodes/lib/api/counters.js';
import { escapeHelp, escapeLabelValue, formatValue, metricFamily } from '../../../nodes/lib/api/prometheus.js';
import { uptime } from '../../../nodes/lib/store/queries.js';
import { heartbeat } from '../store/fixtures/heartbeats.js';
import { DAY, ESCAPE_NAME, HOSTILE_NAME, MIN, NOW, apiFixture, request } from './fixtures.js';
import type { ApiFixture } from './fixtures.js';

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: ParsedSample[];
}

/**
 * A strict reader of the text format 0.0.4: every line is HELP, TYPE or a sample; HELP/TYPE at
 * most once per metric and before its samples; a metric's samples in one group; label values
 * unescaped (\\, \", \n); the text ends with a line feed.
 */
function parseExposition(text: string): Exposition {
  assert.ok(text.endsWith('\n'), 'the last line ends with a line feed');
  const out: Exposition = { help: new Map(), type: new Map(), samples: [] };
  const finished = new Set<string>();
  let current = '';
  const enter = (name: string): void => {
    if (name === current) return;
    assert.ok(!finished.has(name), `${name} appears in two groups`);
    if (current) finished.add(current);
    current = name;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      const [, kind, name = '', rest = ''] = m;
      enter(name);
      assert.ok(!out.samples.some((s) => s.name === name), `${kind} of ${name} after its samples`);
      const map = kind === 'HELP' ? out.help : out.type;
      assert.ok(!map.has(name), `second ${kind} for ${name}`);
      if (kind === 'TYPE') assert.match(rest, /^(counter|gauge|histogram|summary|untyped)$/);
      else assert.ok(!/\n/.test(rest));
      map.set(name, kind === 'HELP' ? rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : rest);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const [, name = '', labelText = '', valueText = ''] = m;
    enter(name);
    const labels: Record<string, string> = {};
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/y;
    let pos = 0;
    while (pos < labelText.length) {
      labelRe.lastIndex = pos;
      const l = labelRe.exec(labelText);
      assert.ok(l, `bad labels at ${pos}: ${labelText}`);
      const [whole, key = '', raw = ''] = l;
      assert.ok(!(key in labels), `label ${key} twice`);
      labels[key] = raw.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      pos += whole.length;
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    assert.ok(valueText === 'NaN' || !Number.isNaN(value), `bad value ${valueText}`);
    out.samples.push({ name, labels, value });
  }
  // A summary's _sum and _count belong to the summary's HELP and TYPE.
  const family = (name: string): string => {
    const base = name.replace(/_(sum|count)$/, '');
    return !out.type.has(name) && out.type.get(base) === 'summary' ? base : name;
  };
  for (const s of out.samples) assert.ok(out.type.has(family(s.name)) && out.help.has(family(s.name)), `${s.name} has HELP and TYPE`);
  return out;
}

describe('Prometheus text format', () => {
  it('escapes label values and help text as the format requires', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.equal(escapeHelp('a\\b"c\nd'), 'a\\\\b"c\\nd');
    assert.deepEqual([NaN, Infinity, -Infinity, 0.25, 3].map(formatValue), ['NaN', '+Inf', '-Inf', '0.25', '3']);
    const text = metricFamily('x_total', 'counter', 'Help with \\ and\nnewline', [
      { labels: { stream: 'a', name: ESCAPE_NAME }, value: 2 },
      { value: 1 },
    ]);
    assert.equal(text, [
      '# HELP x_total Help with \\\\ and\\nnewline',
      '# TYPE x_total counter',
      'x_total{stream="a",name="Back\\\\slash \\"quoted\\"\\nsecond line"} 2',
      'x_total 1',
      '',
    ].join('\n'));
    const parsed = parseExposition(text);
    assert.equal(parsed.samples[0]?.labels.name, ESCAPE_NAME);
    assert.equal(parsed.help.get('x_total'), 'Help with \\ and\nnewline');
    assert.throws(() => metricFamily('bad-name', 'gauge', '', []));
    assert.throws(() => metricFamily('ok', 'gauge', '', [{ labels: { 'bad-label': 'x' }, value: 1 }]));
  });
});

describe('GET /metrics', () => {
  let f: ApiFixture;
  let text: string;
  let parsed: Exposition;
  const samples = (name: string): ParsedSample[] => parsed.samples.filter((s) => s.name === name);
  const one = (name: string, labels: Record<string, string> = {}): number => {
    const found = samples(name).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}: ${found.length} samples`);
    return found[0]?.value ?? NaN;
  };

  before(async () => {
    f = await apiFixture();
    const res = await request(f.ctx, '/metrics');
    assert.ok(res);
    assert.equal(res.status, 200);
    assert.equal(res.headers['Content-Type'], 'text/plain; version=0.0.4; charset=utf-8');
    text = res.text;
    parsed = parseExposition(text);
  });
  after(async () => {
    await f.close();
  });

  it('parses back as valid exposition format with the expected metric types', () => {
    assert.deepEqual(Object.fromEntries(parsed.type), {
      streampulse_up: 'gauge',
      streampulse_stream_state: 'gauge',
      streampulse_latency_seconds: 'gauge',
      streampulse_uptime_ratio: 'gauge',
      streampulse_probes_total: 'counter',
      streampulse_probe_failures_total: 'counter',
      streampulse_last_seen_timestamp_seconds: 'gauge',
      streampulse_streams: 'gauge',
      streampulse_store_bytes: 'gauge',
      streampulse_store_rows_written_total: 'counter',
      streampulse_store_queue_rows: 'gauge',
      streampulse_store_dropped_rows_total: 'counter',
      streampulse_store_failed_flushes_total: 'counter',
      // The probing process itself (process-metrics.test.ts checks the values).
      streampulse_schedule_lag_seconds: 'summary',
      streampulse_schedule_lag_max_seconds: 'gauge',
      streampulse_probes_in_flight: 'gauge',
      streampulse_probes_queued: 'gauge',
      streampulse_scheduled_streams: 'gauge',
      streampulse_event_loop_delay_seconds: 'summary',
      streampulse_event_loop_delay_max_seconds: 'gauge',
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      process_start_time_seconds: 'gauge',
      process_open_handles: 'gauge',
      process_open_fds: 'gauge',
      nodejs_heap_size_total_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_external_memory_bytes: 'gauge',
    });
  });

  it('escapes stream names in labels so they read back unchanged', () => {
    assert.equal(samples('streampulse_up').find((s) => s.labels.stream === 'esc')?.labels.name, ESCAPE_NAME);
    assert.equal(samples('streampulse_up').find((s) => s.labels.stream === 'yard')?.labels.name, HOSTILE_NAME);
    assert.ok(!text.includes('secret'));
  });

  it('reports up, one-hot state, last latency and last seen per stream', () => {
    assert.deepEqual(samples('streampulse_up').map((s) => [s.labels.stream, s.value]), [['esc', 0], ['gate', 1], ['pw', 1], ['yard', 1]]);
    for (const stream of ['esc', 'gate', 'pw', 'yard']) {
      const states = samples('streampulse_stream_state').filter((s) => s.labels.stream === stream);
      assert.deepEqual(states.map((s) => s.labels.state), ['online', 'degraded', 'offline', 'unknown']);
      assert.equal(states.reduce((sum, s) => sum + s.value, 0), 1, stream);
    }
    assert.equal(one('streampulse_stream_state', { stream: 'esc', state: 'offline' }), 1);
    const lastTs = NOW - (NOW % MIN);
    assert.equal(one('streampulse_last_seen_timestamp_seconds', { stream: 'gate' }), lastTs / 1000);
    assert.equal(one('streampulse_latency_seconds', { stream: 'gate' }), (100 + ((lastTs / MIN) % 200)) / 1000);
  });

  it('reports 24 h and 7 d uptime ratios equal to uptime()', async () => {
    for (const stream of ['esc', 'gate', 'pw', 'yard']) {
      for (const [window, days] of [['24h', 1], ['7d', 7]] as const) {
        const want = await uptime(f.db, stream, NOW - days * DAY, NOW);
        assert.equal(one('streampulse_uptime_ratio', { stream, window }), (want.uptimePct ?? NaN) / 100, `${stream} ${window}`);
      }
    }
    assert.equal(one('streampulse_uptime_ratio', { stream: 'esc', window: '24h' }), 0);
  });

  it('reports probe and failure counters from ctx.counters()', () => {
    assert.equal(one('streampulse_probes_total', { stream: 'gate' }), 3 * 24 * 60 + 1);
    assert.equal(one('streampulse_probes_total', { stream: 'yard' }), 24 * 60);
    assert.equal(one('streampulse_probe_failures_total', { stream: 'gate', code: 'timeout' }), 30);
    assert.equal(one('streampulse_probe_failures_total', { stream: 'yard', code: 'auth_failed' }), 24 * 6);
    assert.equal(one('streampulse_probe_failures_total', { stream: 'esc', code: 'refused' }), 60);
    assert.equal(samples('streampulse_probe_failures_total').filter((s) => s.labels.stream === 'pw').length, 0);
  });

  it('reports the store figures and the streams per state', async () => {
    assert.equal(one('streampulse_store_bytes'), await f.ctx.storeBytes());
    assert.ok(one('streampulse_store_bytes') > 100_000);
    assert.equal(one('streampulse_store_rows_written_total'), f.stats.written);
    assert.equal(one('streampulse_store_queue_rows'), 0);
    assert.equal(one('streampulse_store_dropped_rows_total'), 0);
    assert.deepEqual(samples('streampulse_streams').map((s) => [s.labels.state, s.value]), [
      ['online', 3], ['degraded', 0], ['offline', 1], ['unknown', 0],
    ]);
  });

  it('counts a stream that has probes but no row yet under its id', async () => {
    f.book.record(heartbeat('fresh', 0, 'dns'));
    const again = parseExposition((await request(f.ctx, '/metrics'))?.text ?? '');
    const fresh = again.samples.filter((s) => s.labels.stream === 'fresh');
    assert.deepEqual(fresh.map((s) => [s.name, s.labels.name, s.labels.code, s.value]), [
      ['streampulse_probes_total', 'fresh', undefined, 1],
      ['streampulse_probe_failures_total', 'fresh', 'dns', 1],
    ]);
    f.book.forget('fresh');
  });
});

describe('ProbeCounterBook', () => {
  it('counts probes and failures by code, and snapshots are copies', () => {
    const book = new ProbeCounterBook();
    book.record(heartbeat('a', 0));
    book.record(heartbeat('a', 1, 'timeout'));
    book.record(heartbeat('a', 2, 'timeout'));
    book.record(heartbeat('b', 0, 'no_frame'));
    const writer = { queued: 1, written: 2, dropped: 3, flushes: 4, failedFlushes: 5 };
    const snap = book.snapshot(writer);
    assert.deepEqual(snap.streams.get('a'), { probes: 3, failures: { timeout: 2 } });
    assert.deepEqual(snap.streams.get('b'), { probes: 1, failures: { no_frame: 1 } });
    assert.equal(snap.writer, writer);
    book.record(heartbeat('a', 3, 'timeout'));
    assert.deepEqual(snap.streams.get('a'), { probes: 3, failures: { timeout: 2 } });
    book.forget('a');
    assert.deepEqual([...book.snapshot(writer).streams.keys()], ['b']);
  });
});
