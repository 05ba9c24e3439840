/**
 * The capacity bench's own arithmetic, which its published figures rest on: reading a scrape,
 * scoring verdicts against the truth (window, MQTT detection times, degraded episodes), the soak
 * verdict, the CPU profile summary, and the MQTT watcher against a real Mosquitto.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { mosquittoUnavailableReason, startMosquitto } from '../fixtures/mosquitto.js';
import type { MosquittoBroker } from '../fixtures/mosquitto.js';
import type { FaultInterval } from '../fleet/types.js';
import { scoreAccuracy } from './capacity-accuracy.js';
import type { ApiOutage } from './capacity-accuracy.js';
import { MqttWatcher } from './capacity-mqtt.js';
import { NODE_FLAGS } from '../../nodes/lib/launch/node-flags.js';
import type { HealthEpisode } from './capacity-mqtt.js';
import { flagsLabel, soak } from './capacity-report.js';
import { readScrape } from './capacity-scrape.js';
import type { Scrape } from './capacity-scrape.js';
import { areaOf, summarizeProfile } from './cpu-profile.js';

const S = 1000;

describe('readScrape', () => {
  it('keeps the runtime figures and skips per-stream series', () => {
    const text = [
      '# HELP streampulse_schedule_lag_seconds x',
      '# TYPE streampulse_schedule_lag_seconds summary',
      'streampulse_schedule_lag_seconds{quantile="0.5"} 0.002',
      'streampulse_schedule_lag_seconds{quantile="0.99"} 0.25',
      'streampulse_schedule_lag_seconds_count 1234',
      'streampulse_up{stream="a",name="process_cpu_seconds_total"} 1',
      'process_cpu_seconds_total 12.5',
      'process_resident_memory_bytes 1048576',
      'streampulse_store_rows_written_total 99',
      '',
    ].join('\n');
    const s = readScrape(text, 5, 7);
    assert.deepEqual(
      { p50: s.lagP50S, p99: s.lagP99S, n: s.lagCount, cpu: s.cpuS, rss: s.rssBytes, rows: s.rowsWritten, at: s.at, ms: s.ms },
      { p50: 0.002, p99: 0.25, n: 1234, cpu: 12.5, rss: 1048576, rows: 99, at: 5, ms: 7 },
    );
    assert.equal(s.eldP99S, undefined);
  });
});

describe('scoreAccuracy', () => {
  const from = 1_000_000;
  const until = from + 120 * S;
  const opts = { from, until, toleranceMs: 2 * S, minDetectableMs: 20 * S, goalMs: 26 * S };
  const truth: FaultInterval[] = [
    { camera: 'early', kind: 'down', start: from - 30 * S, end: from + 30 * S }, // began in warm-up
    { camera: 'a', kind: 'down', start: from + 10 * S, end: from + 70 * S },
    { camera: 'b', kind: 'slow', start: from + 20 * S, end: from + 80 * S },
    { camera: 'c', kind: 'auth', start: from + 30 * S, end: from + 90 * S }, // never seen: missed
    { camera: 'd', kind: 'frozen', start: from + 40 * S, end: from + 100 * S },
    { camera: 'e', kind: 'noframes', start: from + 115 * S, end: from + 175 * S }, // 5 s before the cut: undetectable
  ];
  const outages: ApiOutage[] = [
    { stream: 'early', startMs: from + 1 * S, endMs: from + 31 * S, code: 'refused' }, // neither hit nor false alarm
    { stream: 'a', startMs: from + 12 * S, endMs: from + 71 * S, code: 'refused' },
    { stream: 'b', startMs: from + 25 * S, endMs: null, code: 'timeout' },
    { stream: 'z', startMs: from + 50 * S, endMs: from + 60 * S, code: 'timeout' }, // false alarm
  ];
  const episodes: HealthEpisode[] = [
    { camera: 'a', state: 'offline', start: from + 12 * S, detectedAt: from + 14 * S, end: from + 71 * S },
    { camera: 'b', state: 'offline', start: from + 25 * S, detectedAt: from + 50 * S }, // 30 s after the fault: over the goal
    { camera: 'd', state: 'degraded', start: from + 55 * S, detectedAt: from + 56 * S },
  ];

  it('scores outages and picture faults apart, with MQTT detection times, inside the window only', () => {
    const r = scoreAccuracy(truth, outages, episodes, opts);
    assert.equal(r.outages.faults, 3);
    assert.equal(r.outages.detected, 2);
    assert.equal(r.outages.missed, 1);
    assert.equal(r.picture.faults, 2);
    assert.equal(r.picture.detected, 1);
    assert.equal(r.picture.undetectable, 1);
    assert.equal(r.falseAlarms, 1);
    assert.equal(r.examples.falseAlarms[0]?.camera, 'z');
    assert.equal(r.examples.missed[0]?.camera, 'c');
    assert.equal(r.outagesNotSeenOnMqtt, 1, 'z never went offline on MQTT');
    assert.deepEqual(r.delaysByKind.down, { detected: 1, firstEvidenceMs: delay(2 * S), declaredMs: delay(4 * S), overGoal: 0 });
    assert.equal(r.delaysByKind.slow?.declaredMs?.max, 30 * S);
    assert.equal(r.delaysByKind.slow?.overGoal, 1);
    assert.equal(r.delaysByKind.frozen?.declaredMs?.p50, 16 * S);
    assert.equal(r.outages.detectionDelayMs?.max, 30 * S);
  });

  it('calls every outage and degraded episode of a clean run a false alarm', () => {
    const r = scoreAccuracy([], outages.slice(1), episodes, opts);
    assert.equal(r.outages.faults + r.picture.faults, 0);
    assert.equal(r.falseAlarms, 3 + 1);
  });
});

function delay(ms: number): { count: number; mean: number; p50: number; p95: number; p99: number; max: number } {
  return { count: 1, mean: ms, p50: ms, p95: ms, p99: ms, max: ms };
}

describe('soak verdict', () => {
  const series = (rss: (minute: number) => number, handles: (minute: number) => number = () => 20): Scrape[] =>
    Array.from({ length: 12 * 60 }, (_, i) => ({ at: i * 5 * S, ms: 1, bytes: 1, rssBytes: rss(i / 12) * 1048576, heapBytes: 0, handles: handles(i / 12), fds: 30 }));

  it('samples every 30 s and sees growth that levels off', () => {
    const s = soak(series((m) => 200 + 100 * (1 - Math.exp(-m / 8))), 0);
    assert.equal(s.series.length, 120);
    assert.equal(s.series[1]?.minute, 0.5);
    assert.ok(s.rssSlopeFirstThird > 3, `first ${s.rssSlopeFirstThird}`);
    assert.ok(s.rssSlopeLastThird < 0.1, `last ${s.rssSlopeLastThird}`);
    assert.ok(s.rssFlattens);
    assert.ok(s.handlesFlat);
    assert.equal(s.heapTroughMBFirstThird, 0);
  });

  it('flags steady growth of memory or handles', () => {
    const s = soak(series((m) => 200 + 2 * m, (m) => 20 + m), 0);
    assert.ok(Math.abs(s.rssSlopeLastThird - 2) < 0.1);
    assert.equal(s.rssFlattens, false);
    assert.equal(s.handlesFlat, false);
  });
});

describe('CPU profile summary', () => {
  it('charges each sample its time to the next one, by function and by area, within the window', () => {
    const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 9 } });
    const profile = {
      nodes: [
        frame(1, '(root)', ''),
        frame(2, 'parseHead', 'file:///x/dist/nodes/lib/probe/rtsp/wire.js'),
        frame(3, 'run', 'file:///x/node_modules/sqlite3/lib/sqlite3.js'),
        frame(4, '(idle)', ''),
        frame(5, 'writeUtf8String', ''),
      ],
      startTime: 0,
      endTime: 10_000,
      samples: [2, 2, 3, 4, 5, 2],
      timeDeltas: [0, 1000, 1000, 1000, 1000, 1000],
    };
    const all = summarizeProfile(profile);
    assert.equal(all.busyMs, 4); // the last sample has no successor: no time
    assert.deepEqual(all.byArea.map((l) => [l.name, l.ms]), [['streampulse lib/probe', 2], ['npm sqlite3', 1], ['(native / V8 builtins)', 1]]);
    assert.equal(all.byFunction[0]?.name, 'parseHead dist/nodes/lib/probe/rtsp/wire.js:10');
    assert.equal(all.byFunction[0]?.pct, 50);
    const late = summarizeProfile(profile, { fromMs: 2.5 });
    assert.equal(late.busyMs, 1);
    assert.equal(areaOf('node:internal/net', 'x'), 'node:net');
    assert.equal(areaOf('file:///r/node_modules/@node-red/runtime/lib/x.js', 'f'), 'node-red');
  });
});

describe('MqttWatcher', { skip: mosquittoUnavailableReason() }, () => {
  let broker: MosquittoBroker | undefined;
  let watcher: MqttWatcher | undefined;
  let publisher: MqttClient | undefined;

  before(async () => {
    broker = await startMosquitto();
    watcher = await MqttWatcher.start(broker.url());
    const client = connect(broker.url(), { reconnectPeriod: 0 });
    publisher = client;
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  });
  after(async () => {
    await watcher?.close();
    publisher?.end(true);
    await broker?.dispose();
  });

  it('counts messages and turns state changes into episodes with arrival times', async () => {
    if (!publisher || !watcher) throw new Error('not started');
    const state = (s: string, since: string, code = 'ok', skew = 100): string =>
      JSON.stringify({ code, health: { state: s, since }, lastKnown: { codec: 'H.264', width: 320, height: 240, fps: 10, clockSkewMs: skew }, uptime: {} });
    const sends: [string, string][] = [
      ['homeassistant/device/streampulse_cam/config', '{}'],
      ['streampulse/cam/state', state('online', '2026-01-01T00:00:00.000Z')],
      ['streampulse/cam/state', state('online', '2026-01-01T00:00:00.000Z', 'ok', 900)], // skew 0 s → 1 s
      ['streampulse/cam/state', state('offline', '2026-01-01T00:01:00.000Z', 'refused')],
      ['streampulse/cam/state', state('online', '2026-01-01T00:02:00.000Z')],
      ['streampulse/_hub/state', '{}'],
    ];
    const before = Date.now();
    for (const [topic, payload] of sends) await publisher.publishAsync(topic, payload, { qos: 1 });
    const deadline = Date.now() + 5000;
    while (watcher.snapshot().total < sends.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(watcher.snapshot(), { total: 6, state: 4, discovery: 1, other: 1 });
    const episodes = watcher.episodes();
    assert.equal(episodes.length, 1);
    const [outage] = episodes;
    assert.equal(outage?.state, 'offline');
    assert.equal(outage?.start, Date.parse('2026-01-01T00:01:00.000Z'));
    assert.equal(outage?.end, Date.parse('2026-01-01T00:02:00.000Z'));
    assert.ok((outage?.detectedAt ?? 0) >= before);
    assert.deepEqual(watcher.reasons(), { first: 1, 'lastKnown.clockSkewS': 1, 'health.state': 2 });
  });
});

describe('run labels', () => {
  it('name the Node.js flags only when they differ from the shipped ones', () => {
    assert.equal(flagsLabel(NODE_FLAGS), '');
    assert.equal(flagsLabel([]), ' [stock node]');
    assert.equal(flagsLabel(['--max-semi-space-size=4']), ' [--max-semi-space-size=4]');
  });
});
