import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cameraDiscoveryMessage, hubDiscoveryMessage } from '../../../nodes/lib/mqtt/discovery.js';
import type { PublishMessage } from '../../../nodes/lib/mqtt/message.js';
import { PublishPlanner } from '../../../nodes/lib/mqtt/planner.js';
import type { CameraInfo, PlannerOptions } from '../../../nodes/lib/mqtt/planner.js';
import { rememberHeartbeat, streamStateJson } from '../../../nodes/lib/mqtt/state.js';
import type { MqttNaming } from '../../../nodes/lib/mqtt/topics.js';
import { heartbeat } from './heartbeats.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const plain: MqttNaming = { discoveryPrefix: 'homeassistant', baseTopic: 'streampulse' };
const origin = { version: '1.2.3' };
const cameras: CameraInfo[] = [
  { id: 'gate', name: 'Gate', area: 'Garden' },
  { id: 'door', name: 'Door' },
];

function setup(options: Partial<PlannerOptions> = {}): { planner: PublishPlanner; clock: { t: number; now(): number } } {
  const clock = { t: T0, now(): number { return this.t; } };
  const planner = new PublishPlanner({ naming: plain, origin, refreshMs: 300_000, clock, ...options });
  return { planner, clock };
}

/** topic + a short tag of the payload, to read sequences at a glance. */
function summary(messages: readonly PublishMessage[]): string[] {
  return messages.map((m) => {
    assert.equal(m.retain, true, m.topic);
    assert.equal(m.qos, 1, m.topic);
    const tag = m.payload === '' ? '<empty>' : m.payload.startsWith('{') ? 'json' : m.payload;
    return `${m.topic} ${tag}${m.change ? ' change' : ''}`;
  });
}

describe('PublishPlanner.start', () => {
  it('brings the bridge online, then discovery (hub first), then the hub state', () => {
    const { planner } = setup();
    const out = planner.start(cameras);
    assert.deepEqual(summary(out), [
      'streampulse/status online',
      'homeassistant/device/streampulse__hub/config json',
      'homeassistant/device/streampulse_gate/config json',
      'homeassistant/device/streampulse_door/config json',
      'streampulse/_hub/state json',
    ]);
    assert.deepEqual(out[1], hubDiscoveryMessage(plain, origin));
    assert.deepEqual(out[2], cameraDiscoveryMessage(plain, { id: 'gate', name: 'Gate', area: 'Garden', codec: null }, origin));
    assert.equal(
      out[4]?.payload,
      '{"ts":"2026-03-01T10:00:00.000Z","streams":{"total":2,"online":0,"degraded":0,"offline":0,"unknown":2},"probesPerMinute":null,"storeBytes":null}',
    );
  });

  it('publishes states remembered while not connected, as a reconnect would', () => {
    const { planner } = setup();
    planner.setStreams(cameras);
    const hb = heartbeat({ id: 'door', name: 'Door' });
    assert.deepEqual(planner.heartbeat(hb), []);
    const out = planner.start(cameras);
    assert.deepEqual(summary(out).slice(3), [
      'homeassistant/device/streampulse_door/config json',
      'streampulse/door/state json',
      'streampulse/_hub/state json',
    ]);
    assert.equal(out[4]?.payload, streamStateJson(hb, rememberHeartbeat(undefined, hb)));
    // The device learned its protocol from the heartbeat; the gate has not been probed yet.
    assert.match(out[3]?.payload ?? '', /"mf":"RTSP"/);
    assert.doesNotMatch(out[2]?.payload ?? '', /"mf"/);
  });

  it('offers the Last Will', () => {
    assert.deepEqual(setup().planner.will(), { topic: 'streampulse/status', payload: 'offline', retain: true, qos: 1 });
  });
});

describe('PublishPlanner.heartbeat', () => {
  it('publishes on change and at least every refreshMs, never in between', () => {
    const { planner, clock } = setup();
    planner.start(cameras);
    const first = planner.heartbeat(heartbeat({ media: { codec: 'H264' } }));
    // The probe learned protocol and codec: the device is described again, then its first state.
    assert.deepEqual(summary(first), ['homeassistant/device/streampulse_gate/config json', 'streampulse/gate/state json change']);
    assert.match(first[0]?.payload ?? '', /"mf":"RTSP","mdl":"H.264"/);

    clock.t += 15_000;
    assert.deepEqual(planner.heartbeat(heartbeat({ latencyMs: 180, media: { codec: 'H264' } })), [], 'only the latency changed');

    clock.t += 285_000;
    assert.deepEqual(summary(planner.heartbeat(heartbeat({ latencyMs: 95, media: { codec: 'H264' } }))), ['streampulse/gate/state json'], 'refresh due');

    clock.t += 15_000;
    const down = planner.heartbeat(heartbeat({ code: 'timeout', state: 'online' }));
    assert.deepEqual(summary(down), ['streampulse/gate/state json'], 'a new code is published; the health state did not change');
    clock.t += 15_000;
    assert.deepEqual(summary(planner.heartbeat(heartbeat({ code: 'timeout', state: 'offline' }))), ['streampulse/gate/state json change']);
    clock.t += 15_000;
    assert.deepEqual(planner.heartbeat(heartbeat({ code: 'timeout', state: 'offline', message: 'other words' })), []);
    clock.t += 15_000;
    assert.deepEqual(summary(planner.heartbeat(heartbeat({ code: 'refused', state: 'offline' }))), ['streampulse/gate/state json']);
    clock.t += 15_000;
    assert.deepEqual(summary(planner.heartbeat(heartbeat({ code: 'refused', state: 'offline', flapping: true }))), ['streampulse/gate/state json change']);
  });

  it('publishes the exact state document with memory and uptime', () => {
    const { planner } = setup();
    planner.start(cameras);
    const ok = heartbeat({ ts: '2026-03-01T10:00:00.000Z' });
    planner.heartbeat(ok);
    const fail = heartbeat({ ts: '2026-03-01T10:00:15.000Z', code: 'no_frame', state: 'degraded' });
    const out = planner.heartbeat(fail, { h24: 99.5 });
    const expected = streamStateJson(fail, rememberHeartbeat(rememberHeartbeat(undefined, ok), fail, { h24: 99.5 }));
    assert.equal(out[0]?.payload, expected);
    const parsed = JSON.parse(expected) as { lastSeen: string; lastError: { code: string }; uptime: { h24: number } };
    assert.equal(parsed.lastSeen, '2026-03-01T10:00:00.000Z');
    assert.equal(parsed.lastError.code, 'no_frame');
    assert.equal(parsed.uptime.h24, 99.5);
  });

  it('re-announces a device only when what the probe learned changes', () => {
    const { planner } = setup();
    planner.start(cameras);
    planner.heartbeat(heartbeat({ media: { codec: 'H264' } }));
    assert.deepEqual(planner.heartbeat(heartbeat({ code: 'timeout', state: 'offline' })).map((m) => m.topic), ['streampulse/gate/state']);
    const switched = planner.heartbeat(heartbeat({ media: { codec: 'H265' } }));
    assert.deepEqual(switched.map((m) => m.topic), ['homeassistant/device/streampulse_gate/config', 'streampulse/gate/state']);
    assert.match(switched[0]?.payload ?? '', /"mdl":"H.265"/);
  });

  it('ignores heartbeats of streams not in the list', () => {
    const { planner } = setup();
    planner.start(cameras);
    assert.deepEqual(planner.heartbeat(heartbeat({ id: 'stranger' })), []);
  });
});

describe('PublishPlanner as a site', () => {
  const north: MqttNaming = { ...plain, site: 'north' };

  it('publishes <site>_<id> in the state document on the site\'s topics', () => {
    const { planner } = setup({ naming: north });
    assert.deepEqual(summary(planner.start(cameras)).slice(0, 1), ['streampulse/north/status online']);
    const out = planner.heartbeat(heartbeat({ protocol: 'rtsp' }));
    assert.deepEqual(out.map((m) => m.topic), ['homeassistant/device/streampulse_north_gate/config', 'streampulse/north/gate/state']);
    const state = JSON.parse(out[1]?.payload ?? '{}') as { stream: { id: string; site: string } };
    assert.deepEqual([state.stream.id, state.stream.site], ['north_gate', 'north']);
  });

  it('leaves out (and names) a camera whose <site>_<id> would be longer than 64 characters', () => {
    const { planner } = setup({ naming: north });
    const long = 'c'.repeat(60);
    const out = planner.start([...cameras, { id: long, name: 'Long' }]);
    assert.ok(!out.some((m) => m.topic.includes(long)));
    assert.match(planner.skipped.get(long) ?? '', /too long for site "north"/);
    assert.deepEqual(planner.heartbeat(heartbeat({ id: long, name: 'Long' })), []);
    // Without a site the same id is published.
    const { planner: plainPlanner } = setup();
    assert.ok(plainPlanner.start([{ id: long, name: 'Long' }]).some((m) => m.topic.includes(long)));
  });

  it('learning from heartbeats, refuses such an id too', () => {
    const { planner } = setup({ naming: north, learnStreams: true });
    planner.start([]);
    const long = 'c'.repeat(60);
    assert.deepEqual(planner.heartbeat(heartbeat({ id: long })), []);
    assert.match(planner.skipped.get(long) ?? '', /too long/);
    assert.deepEqual(planner.heartbeat(heartbeat({ id: 'gate' })).map((m) => m.topic).slice(-1), ['streampulse/north/gate/state']);
  });
});

describe('PublishPlanner.setStreams', () => {
  it('clears removed cameras (config and state), announces new and renamed ones, then the hub', () => {
    const { planner } = setup();
    planner.start(cameras);
    planner.heartbeat(heartbeat({ id: 'door', name: 'Door' }));
    const out = planner.setStreams([{ id: 'gate', name: 'Front gate', area: 'Garden' }, { id: 'yard', name: 'Yard' }]);
    assert.deepEqual(summary(out), [
      'homeassistant/device/streampulse_door/config <empty>',
      'streampulse/door/state <empty>',
      'homeassistant/device/streampulse_gate/config json',
      'homeassistant/device/streampulse_yard/config json',
      'streampulse/_hub/state json',
    ]);
    assert.match(out[2]?.payload ?? '', /"name":"Front gate"/);
    assert.match(out[4]?.payload ?? '', /"total":2/);
    // A late heartbeat of the removed camera must not bring its retained state back.
    assert.deepEqual(planner.heartbeat(heartbeat({ id: 'door', name: 'Door' })), []);
  });

  it('publishes nothing when the list did not change', () => {
    const { planner } = setup();
    planner.start(cameras);
    assert.deepEqual(planner.setStreams(cameras.map((c) => ({ ...c }))), []);
  });

  it('publishes a camera called "hub" beside the hub device, and leaves out an id unfit for topics', () => {
    const { planner } = setup();
    const out = planner.start([...cameras, { id: 'hub', name: 'Hub' }, { id: 'Bad/Id', name: 'Bad' }]);
    assert.equal(out.filter((m) => m.topic === 'homeassistant/device/streampulse__hub/config').length, 1);
    assert.equal(out.filter((m) => m.topic === 'homeassistant/device/streampulse_hub/config').length, 1);
    assert.match(planner.skipped.get('Bad/Id') ?? '', /not usable in MQTT topics/);
    assert.deepEqual(planner.heartbeat(heartbeat({ id: 'Bad/Id', name: 'Bad' })), []);
  });
});

describe('PublishPlanner.homeAssistantOnline', () => {
  it('re-announces every discovery first, then every known state, then the hub', () => {
    const { planner } = setup();
    planner.start(cameras);
    planner.heartbeat(heartbeat({ id: 'gate' }));
    planner.heartbeat(heartbeat({ id: 'door', name: 'Door', code: 'refused' }));
    assert.deepEqual(summary(planner.homeAssistantOnline()), [
      'homeassistant/device/streampulse__hub/config json',
      'homeassistant/device/streampulse_gate/config json',
      'homeassistant/device/streampulse_door/config json',
      'streampulse/gate/state json',
      'streampulse/door/state json',
      'streampulse/_hub/state json',
    ]);
  });
  it('does nothing before start or after close', () => {
    const { planner } = setup();
    assert.deepEqual(planner.homeAssistantOnline(), []);
    planner.start(cameras);
    planner.close();
    assert.deepEqual(planner.homeAssistantOnline(), []);
  });
});

describe('PublishPlanner.staleDiscovery', () => {
  const north: MqttNaming = { ...plain, site: 'north' };
  const stale = cameraDiscoveryMessage(plain, { id: 'old', name: 'Old' }, origin);
  const current = cameraDiscoveryMessage(plain, { id: 'gate', name: 'Gate' }, origin);
  const otherSite = cameraDiscoveryMessage(north, { id: 'old', name: 'Old' }, origin);
  const otherIntegration = {
    topic: 'homeassistant/device/0x00158d0001a2b3c4/config',
    payload: JSON.stringify({ dev: { ids: ['0x00158d0001a2b3c4'] }, o: { name: 'Zigbee2MQTT' }, avty: [{ topic: 'zigbee2mqtt/bridge/state' }], cmps: {} }),
  };
  const lookalike = {
    topic: 'homeassistant/device/streampulse_lookalike/config',
    payload: JSON.stringify({ dev: { ids: ['streampulse_lookalike'] }, o: { name: 'Something else' }, avty: [{ topic: 'streampulse/status' }], cmps: {} }),
  };

  it('clears only our own devices that left the list, once each', () => {
    const { planner } = setup();
    planner.start(cameras);
    const found = [stale, current, otherSite, otherIntegration, lookalike, { topic: stale.topic, payload: stale.payload }, hubDiscoveryMessage(plain, origin)];
    assert.deepEqual(summary(planner.staleDiscovery(found)), [
      'homeassistant/device/streampulse_old/config <empty>',
      'streampulse/old/state <empty>',
    ]);
  });

  it("as a site, never touches the site-less instance's or another site's devices", () => {
    const { planner } = setup({ naming: north });
    planner.start(cameras);
    const ownStale = cameraDiscoveryMessage(north, { id: 'gone', name: 'Gone' }, origin);
    const south = cameraDiscoveryMessage({ ...plain, site: 'south' }, { id: 'gone', name: 'Gone' }, origin);
    assert.deepEqual(summary(planner.staleDiscovery([stale, south, ownStale, otherIntegration])), [
      'homeassistant/device/streampulse_north_gone/config <empty>',
      'streampulse/north/gone/state <empty>',
    ]);
  });

  it('ignores already-empty retained configs and waits for start', () => {
    const { planner } = setup();
    assert.deepEqual(planner.staleDiscovery([stale]), []);
    planner.start(cameras);
    assert.deepEqual(planner.staleDiscovery([{ topic: stale.topic, payload: '' }]), []);
  });
});

describe('PublishPlanner.tick', () => {
  it('publishes the hub state once a minute with probes per minute and store size', () => {
    const { planner, clock } = setup();
    planner.start(cameras);
    planner.setStoreBytes(4096);
    for (let i = 0; i < 6; i++) {
      clock.t += 5_000;
      planner.heartbeat(heartbeat({ id: i % 2 === 0 ? 'gate' : 'door', name: 'x', code: i % 2 === 0 ? 'ok' : 'refused' }));
    }
    assert.deepEqual(planner.tick(), [], 'not due after 30 s');
    clock.t += 30_000;
    const out = planner.tick();
    assert.deepEqual(out, [
      {
        topic: 'streampulse/_hub/state',
        payload: '{"ts":"2026-03-01T10:01:00.000Z","streams":{"total":2,"online":1,"degraded":0,"offline":1,"unknown":0},"probesPerMinute":6,"storeBytes":4096}',
        retain: true,
        qos: 1,
      },
    ]);
    assert.deepEqual(planner.tick(clock.t + 59_999), []);
    assert.match(planner.tick(clock.t + 120_000)[0]?.payload ?? '', /"probesPerMinute":0/);
  });
});

describe('PublishPlanner.close', () => {
  it('says offline on the bridge once, then stays quiet until started again', () => {
    const { planner } = setup();
    assert.deepEqual(planner.close(), []);
    planner.start(cameras);
    assert.deepEqual(planner.close(), [{ topic: 'streampulse/status', payload: 'offline', retain: true, qos: 1 }]);
    assert.deepEqual(planner.close(), []);
    assert.deepEqual(planner.heartbeat(heartbeat()), []);
    assert.deepEqual(planner.tick(T0 + 3_600_000), []);
    assert.equal(planner.start(cameras)[0]?.payload, 'online');
  });
});

describe('secrets', () => {
  it('no message of a whole session carries the camera password', () => {
    const { planner, clock } = setup();
    const secret = 'Pa55word!';
    const url = `rtsp://admin:${secret}@10.0.0.9/live`;
    const all: PublishMessage[] = [...planner.start(cameras)];
    all.push(...planner.heartbeat(heartbeat({ url, code: 'auth_failed', message: `401 from ${url}` })));
    clock.t += 400_000;
    all.push(...planner.heartbeat(heartbeat({ url, media: { codec: 'H264' } })));
    all.push(...planner.homeAssistantOnline(), ...planner.tick(), ...planner.setStreams([]), ...planner.close());
    assert.ok(all.length > 10);
    for (const m of all) assert.ok(!m.payload.includes(secret) && !m.payload.includes(encodeURIComponent(secret)), m.topic);
  });
});
