import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cameraDiscoveryMessage, hubDiscoveryMessage } from '../../../nodes/lib/mqtt/discovery.js';
import {
  bridgeTopic,
  bridgeWill,
  cameraDeviceId,
  deviceIdOfDiscoveryTopic,
  discoverySubscription,
  discoveryTopic,
  homeAssistantStatusTopic,
  hubDeviceId,
  hubStateTopic,
  isHomeAssistantBirth,
  isOurDiscovery,
  resolveNaming,
  siteStreamId,
  stateTopic,
  streamIdOfDeviceId,
  streamIdProblem,
} from '../../../nodes/lib/mqtt/topics.js';
import type { MqttNaming } from '../../../nodes/lib/mqtt/topics.js';

const plain: MqttNaming = { discoveryPrefix: 'homeassistant', baseTopic: 'streampulse' };
const north: MqttNaming = { ...plain, site: 'north' };
const south: MqttNaming = { ...plain, site: 'south' };
const origin = { version: '1.2.3' };

function errorsOf(input: Parameters<typeof resolveNaming>[0]): string[] {
  const result = resolveNaming(input);
  assert.equal(result.ok, false, `expected ${JSON.stringify(input)} to be refused`);
  return result.ok ? [] : result.errors;
}

describe('resolveNaming', () => {
  it('defaults to homeassistant / streampulse without a site', () => {
    assert.deepEqual(resolveNaming(), { ok: true, naming: plain });
    assert.deepEqual(resolveNaming({ site: '' }), { ok: true, naming: plain });
  });
  it('keeps a valid site and custom topics', () => {
    assert.deepEqual(resolveNaming({ discoveryPrefix: 'ha', baseTopic: 'cams', site: 'north-1b' }), {
      ok: true,
      naming: { discoveryPrefix: 'ha', baseTopic: 'cams', site: 'north-1b' },
    });
  });
  it('refuses wildcards, separators, NUL, $-topics and empty levels', () => {
    for (const bad of ['a+b', 'a#', 'a/b', 'a\u0000b', '$SYS', '', ' x']) {
      assert.equal(errorsOf({ baseTopic: bad }).length, 1, `base topic ${JSON.stringify(bad)}`);
      assert.equal(errorsOf({ discoveryPrefix: bad }).length, 1, `prefix ${JSON.stringify(bad)}`);
    }
  });
  it('refuses sites outside ^[a-z0-9][a-z0-9-]{0,31}$ (no "_": it joins site and stream ids)', () => {
    for (const bad of ['North', '_north', '-n', 'a'.repeat(33), 'nö', 'a/b', 'a+b', 'north_1']) {
      assert.match(errorsOf({ site: bad })[0] ?? '', /site/, bad);
    }
    assert.equal(resolveNaming({ site: 'a'.repeat(32) }).ok, true);
  });
  it('reports every problem at once', () => {
    assert.equal(errorsOf({ baseTopic: '#', discoveryPrefix: '+', site: 'X' }).length, 3);
  });
});

describe('topics without a site', () => {
  it('derives every topic from the base topic and prefix', () => {
    assert.equal(bridgeTopic(plain), 'streampulse/status');
    assert.equal(stateTopic(plain, 'gate'), 'streampulse/gate/state');
    assert.equal(hubStateTopic(plain), 'streampulse/_hub/state');
    assert.equal(cameraDeviceId(plain, 'gate'), 'streampulse_gate');
    assert.equal(hubDeviceId(plain), 'streampulse__hub');
    assert.equal(discoveryTopic(plain, 'streampulse_gate'), 'homeassistant/device/streampulse_gate/config');
    assert.equal(homeAssistantStatusTopic(plain), 'homeassistant/status');
    assert.equal(discoverySubscription(plain), 'homeassistant/device/+/config');
  });
  it('registers a retained offline Last Will on the bridge topic', () => {
    assert.deepEqual(bridgeWill(plain), { topic: 'streampulse/status', payload: 'offline', retain: true, qos: 1 });
  });
});

describe('topics with a site', () => {
  it('namespaces availability, states and device ids', () => {
    assert.equal(bridgeTopic(north), 'streampulse/north/status');
    assert.equal(stateTopic(north, 'gate'), 'streampulse/north/gate/state');
    assert.equal(hubStateTopic(north), 'streampulse/north/_hub/state');
    assert.equal(cameraDeviceId(north, 'gate'), 'streampulse_north_gate');
    assert.equal(hubDeviceId(north), 'streampulse_north__hub');
    assert.equal(discoverySubscription(north), 'homeassistant/device/+/config');
    assert.notEqual(cameraDeviceId(north, 'gate'), cameraDeviceId(south, 'gate'));
  });
});

describe('streamIdProblem', () => {
  it('accepts the ids the camera list produces', () => {
    assert.equal(streamIdProblem('front_door-2'), undefined);
  });
  it('lets a camera be called "hub": the hub device cannot collide with a stream id', () => {
    assert.equal(streamIdProblem('hub'), undefined);
    assert.notEqual(hubDeviceId(plain), `streampulse_${'hub'}`);
  });
  it('refuses ids that are not one safe topic level', () => {
    for (const bad of ['Gate', 'a/b', 'a+', '#', '', '_x']) assert.ok(streamIdProblem(bad), bad);
  });
  it('with a site, refuses an id whose <site>_<id> would pass 64 characters, and only then', () => {
    const fits = 'c'.repeat(64 - 'north_'.length);
    assert.equal(streamIdProblem(fits, north), undefined);
    assert.match(streamIdProblem(`${fits}x`, north) ?? '', /too long for site "north".*64 characters/);
    // The same id is fine without a site, and the site-less check stays as it was.
    assert.equal(streamIdProblem(`${fits}x`, plain), undefined);
    assert.equal(streamIdProblem(`${fits}x`), undefined);
    assert.match(streamIdProblem('Gate', north) ?? '', /not usable in MQTT topics/);
  });
});

describe('siteStreamId', () => {
  it('is <site>_<id> with a site and the id alone without one', () => {
    assert.equal(siteStreamId(north, 'gate'), 'north_gate');
    assert.equal(siteStreamId(south, 'gate'), 'south_gate');
    assert.equal(siteStreamId(plain, 'gate'), 'gate');
  });
  it('splits again at the first "_" even when the stream id holds "_" (sites cannot)', () => {
    const joined = siteStreamId({ site: 'north-1' }, 'front_door_2');
    assert.equal(joined, 'north-1_front_door_2');
    const cut = joined.indexOf('_');
    assert.deepEqual([joined.slice(0, cut), joined.slice(cut + 1)], ['north-1', 'front_door_2']);
  });
});

describe('discovery topic parsing', () => {
  it('finds the device id only in <prefix>/device/<id>/config', () => {
    assert.equal(deviceIdOfDiscoveryTopic(plain, 'homeassistant/device/streampulse_gate/config'), 'streampulse_gate');
    assert.equal(deviceIdOfDiscoveryTopic(plain, 'homeassistant/sensor/streampulse_gate/config'), undefined);
    assert.equal(deviceIdOfDiscoveryTopic(plain, 'other/device/streampulse_gate/config'), undefined);
    assert.equal(deviceIdOfDiscoveryTopic(plain, 'homeassistant/device/x/y/config'), undefined);
  });
  it('maps camera device ids back to stream ids, not the hub', () => {
    assert.equal(streamIdOfDeviceId(plain, 'streampulse_gate'), 'gate');
    assert.equal(streamIdOfDeviceId(north, 'streampulse_north_gate'), 'gate');
    assert.equal(streamIdOfDeviceId(plain, 'streampulse__hub'), undefined);
    assert.equal(streamIdOfDeviceId(plain, 'streampulse_hub'), 'hub');
    assert.equal(streamIdOfDeviceId(plain, 'zigbee_gate'), undefined);
  });
});

describe('isOurDiscovery', () => {
  const ours = cameraDiscoveryMessage(plain, { id: 'gate', name: 'Gate' }, origin);
  const northGate = cameraDiscoveryMessage(north, { id: 'gate', name: 'Gate' }, origin);

  it('recognises what this instance published (string or bytes)', () => {
    assert.equal(isOurDiscovery(ours.topic, ours.payload, plain), true);
    assert.equal(isOurDiscovery(ours.topic, new TextEncoder().encode(ours.payload), plain), true);
    const hub = hubDiscoveryMessage(north, origin);
    assert.equal(isOurDiscovery(hub.topic, hub.payload, north), true);
  });
  it("never claims another integration's device", () => {
    const z2m = JSON.stringify({
      dev: { ids: ['zigbee2mqtt_0x00158d0001'], name: 'Sensor' },
      o: { name: 'Zigbee2MQTT', sw: '2.0.0' },
      avty: [{ topic: 'zigbee2mqtt/bridge/state' }],
      cmps: {},
    });
    assert.equal(isOurDiscovery('homeassistant/device/zigbee2mqtt_0x00158d0001/config', z2m, plain), false);
  });
  it('never claims a payload under our prefix from another origin', () => {
    const impostor = ours.payload.replace('"name":"StreamPulse"', '"name":"Other"');
    assert.notEqual(impostor, ours.payload);
    assert.equal(isOurDiscovery(ours.topic, impostor, plain), false);
  });
  it("never claims another site's device, nor a site's device from an instance without a site", () => {
    assert.equal(isOurDiscovery(northGate.topic, northGate.payload, south), false);
    // streampulse_north_gate starts with streampulse_: only the availability topic tells them apart.
    assert.equal(isOurDiscovery(northGate.topic, northGate.payload, plain), false);
    assert.equal(isOurDiscovery(ours.topic, ours.payload, north), false);
  });
  it('ignores empty, non-JSON and non-object payloads and foreign topics', () => {
    assert.equal(isOurDiscovery(ours.topic, '', plain), false);
    assert.equal(isOurDiscovery(ours.topic, '{not json', plain), false);
    assert.equal(isOurDiscovery(ours.topic, '[1]', plain), false);
    assert.equal(isOurDiscovery('homeassistant/sensor/streampulse_gate/config', ours.payload, plain), false);
  });
  it('accepts the single-topic availability spelling too', () => {
    const single = JSON.stringify({ o: { name: 'StreamPulse' }, avty_t: 'streampulse/status' });
    assert.equal(isOurDiscovery('homeassistant/device/streampulse_old/config', single, plain), true);
  });
});

describe('isHomeAssistantBirth', () => {
  it('is true only for online on <prefix>/status', () => {
    assert.equal(isHomeAssistantBirth(plain, 'homeassistant/status', 'online'), true);
    assert.equal(isHomeAssistantBirth(plain, 'homeassistant/status', new TextEncoder().encode('online\n')), true);
    assert.equal(isHomeAssistantBirth(plain, 'homeassistant/status', 'offline'), false);
    assert.equal(isHomeAssistantBirth(plain, 'other/status', 'online'), false);
  });
});
