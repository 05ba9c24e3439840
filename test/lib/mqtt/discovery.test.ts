import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cameraDiscovery,
  cameraDiscoveryMessage,
  entityName,
  hubDiscovery,
  hubDiscoveryMessage,
  removalMessage,
} from '../../../nodes/lib/mqtt/discovery.js';
import type { MqttNaming } from '../../../nodes/lib/mqtt/topics.js';

const plain: MqttNaming = { discoveryPrefix: 'homeassistant', baseTopic: 'streampulse' };
const north: MqttNaming = { discoveryPrefix: 'homeassistant', baseTopic: 'streampulse', site: 'north' };
const origin = { version: '1.2.3' };
const URL_ = 'https://github.com/streampulse/node-red-streampulse';

const ON_OFF =
  "{% if value_json.health.state in ['online', 'degraded'] %}ON{% elif value_json.health.state == 'offline' %}OFF{% else %}None{% endif %}";
const CONNECTIVITY_ATTRS =
  "{{ {'url': value_json.stream.url, 'protocol': value_json.stream.protocol, 'code': value_json.code, 'message': value_json.message, " +
  "'since': value_json.health.since, 'fail_streak': value_json.health.failStreak, 'flapping': value_json.health.flapping} | tojson }}";
const ERROR_ATTRS = "{{ {'message': value_json.lastError.message, 'at': value_json.lastError.ts} | tojson if value_json.lastError else '{}' }}";
const RESOLUTION =
  '{% if value_json.lastKnown.width and value_json.lastKnown.height %}{{ value_json.lastKnown.width }}x{{ value_json.lastKnown.height }}{% else %}None{% endif %}';
const ERROR_CODES = ['timeout', 'refused', 'unreachable', 'dns', 'tls', 'auth_failed', 'not_found', 'server_error', 'protocol_error', 'no_video', 'no_frame', 'bad_frame', 'frozen'];

/** The exact components of a camera whose ids start with `uid` and whose state is on `topic`. */
function cameraComponents(uid: string, entity: string, topic: string): Record<string, unknown> {
  return {
    connectivity: {
      p: 'binary_sensor', name: null, unique_id: `${uid}_connectivity`, default_entity_id: `binary_sensor.${entity}_connectivity`,
      device_class: 'connectivity', stat_t: topic, value_template: ON_OFF, json_attr_t: topic, json_attributes_template: CONNECTIVITY_ATTRS,
    },
    health: {
      p: 'sensor', name: 'Health', unique_id: `${uid}_health`, default_entity_id: `sensor.${entity}_health`,
      device_class: 'enum', options: ['online', 'degraded', 'offline', 'unknown'], stat_t: topic, value_template: '{{ value_json.health.state }}',
    },
    last_error: {
      p: 'sensor', name: 'Last error', unique_id: `${uid}_last_error`, default_entity_id: `sensor.${entity}_last_error`,
      device_class: 'enum', options: ERROR_CODES, stat_t: topic,
      value_template: '{{ value_json.lastError.code if value_json.lastError else none }}', json_attr_t: topic, json_attributes_template: ERROR_ATTRS,
    },
    latency: {
      p: 'sensor', name: 'Latency', unique_id: `${uid}_latency`, default_entity_id: `sensor.${entity}_latency`,
      device_class: 'duration', state_class: 'measurement', unit_of_measurement: 'ms', suggested_display_precision: 0,
      stat_t: topic, value_template: '{{ value_json.latencyMs if value_json.ok else none }}',
    },
    uptime_24h: {
      p: 'sensor', name: 'Uptime (24 h)', unique_id: `${uid}_uptime_24h`, default_entity_id: `sensor.${entity}_uptime_24h`,
      state_class: 'measurement', unit_of_measurement: '%', suggested_display_precision: 1, stat_t: topic, value_template: '{{ value_json.uptime.h24 }}',
    },
    last_seen: {
      p: 'sensor', name: 'Last seen', unique_id: `${uid}_last_seen`, default_entity_id: `sensor.${entity}_last_seen`,
      device_class: 'timestamp', stat_t: topic, value_template: '{{ value_json.lastSeen }}',
    },
    codec: {
      p: 'sensor', name: 'Codec', unique_id: `${uid}_codec`, default_entity_id: `sensor.${entity}_codec`,
      entity_category: 'diagnostic', stat_t: topic, value_template: '{{ value_json.lastKnown.codec }}',
    },
    resolution: {
      p: 'sensor', name: 'Resolution', unique_id: `${uid}_resolution`, default_entity_id: `sensor.${entity}_resolution`,
      entity_category: 'diagnostic', stat_t: topic, value_template: RESOLUTION,
    },
    fps: {
      p: 'sensor', name: 'Frame rate', unique_id: `${uid}_fps`, default_entity_id: `sensor.${entity}_fps`,
      state_class: 'measurement', unit_of_measurement: 'fps', suggested_display_precision: 1, entity_category: 'diagnostic',
      stat_t: topic, value_template: '{{ value_json.lastKnown.fps }}',
    },
    clock_skew: {
      p: 'sensor', name: 'Clock skew', unique_id: `${uid}_clock_skew`, default_entity_id: `sensor.${entity}_clock_skew`,
      state_class: 'measurement', unit_of_measurement: 'ms', suggested_display_precision: 0, entity_category: 'diagnostic',
      stat_t: topic, value_template: '{{ value_json.lastKnown.clockSkewMs }}',
    },
  };
}

describe('camera discovery', () => {
  it('describes an RTSP camera without a site, payload byte for byte', () => {
    const message = cameraDiscoveryMessage(plain, { id: 'gate', name: 'Gate', area: 'Garden', protocol: 'rtsp', codec: 'H.264' }, origin);
    assert.equal(message.topic, 'homeassistant/device/streampulse_gate/config');
    assert.equal(message.retain, true);
    assert.equal(message.qos, 1);
    const expected = {
      dev: { ids: ['streampulse_gate'], name: 'Gate', mf: 'RTSP', mdl: 'H.264', sa: 'Garden', via_device: 'streampulse__hub' },
      o: { name: 'StreamPulse', sw: '1.2.3', url: URL_ },
      avty: [{ topic: 'streampulse/status', payload_available: 'online', payload_not_available: 'offline' }],
      qos: 1,
      cmps: cameraComponents('streampulse_gate', 'streampulse_gate', 'streampulse/gate/state'),
    };
    assert.equal(message.payload, JSON.stringify(expected));
  });

  it('describes an MJPEG camera of a site, namespaced everywhere', () => {
    const payload = cameraDiscovery(north, { id: 'back-yard', name: 'Back yard', protocol: 'mjpeg', codec: 'MJPEG' }, { version: '2.0.0', supportUrl: 'https://example.org/sp' });
    assert.deepEqual(payload, {
      dev: { ids: ['streampulse_north_back-yard'], name: 'Back yard', mf: 'MJPEG over HTTP', mdl: 'MJPEG', via_device: 'streampulse_north__hub' },
      o: { name: 'StreamPulse', sw: '2.0.0', url: 'https://example.org/sp' },
      avty: [{ topic: 'streampulse/north/status', payload_available: 'online', payload_not_available: 'offline' }],
      qos: 1,
      // Entity ids allow no '-': the unique id keeps the stream id as it is, the entity id does not.
      cmps: cameraComponents('streampulse_north_back-yard', 'streampulse_north_back_yard', 'streampulse/north/back-yard/state'),
    });
  });

  it('leaves out what the probes have not learned yet, and an empty area', () => {
    const payload = cameraDiscovery(plain, { id: 'gate', name: 'Gate', area: ' ', codec: null }, origin);
    assert.deepEqual(payload.dev, { ids: ['streampulse_gate'], name: 'Gate', via_device: 'streampulse__hub' });
  });

  it('never uses the deprecated object_id', () => {
    const text = cameraDiscoveryMessage(plain, { id: 'gate', name: 'Gate' }, origin).payload + hubDiscoveryMessage(plain, origin).payload;
    assert.ok(!/"(object_id|obj_id)"/.test(text));
  });

  it('never starts an entity name with the device name', () => {
    const payload = cameraDiscovery(plain, { id: 'l', name: 'La' }, origin);
    const names = Object.values(payload.cmps).map((c) => c.name);
    assert.deepEqual(names, [null, 'Health', 'Stream last error', 'Stream latency', 'Uptime (24 h)', 'Stream last seen', 'Codec', 'Resolution', 'Frame rate', 'Clock skew']);
    for (const name of names) assert.ok(name === null || !name.toLowerCase().startsWith('la'), String(name));
  });
});

describe('entityName', () => {
  it('keeps names that do not start with the device name (case-insensitive check)', () => {
    assert.equal(entityName('Gate', 'Latency'), 'Latency');
    assert.equal(entityName('LATENCY', 'Latency'), 'Stream latency');
    assert.equal(entityName('Gate', null), null);
  });
});

describe('hub discovery', () => {
  it('describes the monitor itself, payload byte for byte', () => {
    const message = hubDiscoveryMessage(plain, origin);
    assert.equal(message.topic, 'homeassistant/device/streampulse__hub/config');
    const topic = 'streampulse/_hub/state';
    const expected = {
      dev: { ids: ['streampulse__hub'], name: 'StreamPulse', mf: 'StreamPulse', mdl: 'Camera stream monitor', sw: '1.2.3' },
      o: { name: 'StreamPulse', sw: '1.2.3', url: URL_ },
      avty: [{ topic: 'streampulse/status', payload_available: 'online', payload_not_available: 'offline' }],
      qos: 1,
      cmps: {
        streams_online: {
          p: 'sensor', name: 'Streams online', unique_id: 'streampulse__hub_streams_online', default_entity_id: 'sensor.streampulse_hub_streams_online',
          state_class: 'measurement', stat_t: topic, value_template: '{{ value_json.streams.online }}',
        },
        streams_offline: {
          p: 'sensor', name: 'Streams offline', unique_id: 'streampulse__hub_streams_offline', default_entity_id: 'sensor.streampulse_hub_streams_offline',
          state_class: 'measurement', stat_t: topic, value_template: '{{ value_json.streams.offline }}',
        },
        streams_total: {
          p: 'sensor', name: 'Streams total', unique_id: 'streampulse__hub_streams_total', default_entity_id: 'sensor.streampulse_hub_streams_total',
          state_class: 'measurement', stat_t: topic, value_template: '{{ value_json.streams.total }}',
        },
        probes_per_minute: {
          p: 'sensor', name: 'Probes per minute', unique_id: 'streampulse__hub_probes_per_minute', default_entity_id: 'sensor.streampulse_hub_probes_per_minute',
          state_class: 'measurement', unit_of_measurement: 'probes/min', suggested_display_precision: 0, stat_t: topic, value_template: '{{ value_json.probesPerMinute }}',
        },
        store_size: {
          p: 'sensor', name: 'Store size', unique_id: 'streampulse__hub_store_size', default_entity_id: 'sensor.streampulse_hub_store_size',
          device_class: 'data_size', state_class: 'measurement', unit_of_measurement: 'B',
          entity_category: 'diagnostic', stat_t: topic, value_template: '{{ value_json.storeBytes }}',
        },
      },
    };
    assert.equal(message.payload, JSON.stringify(expected));
  });

  it('is named and namespaced by the site', () => {
    const payload = hubDiscovery(north, origin);
    assert.deepEqual(payload.dev, { ids: ['streampulse_north__hub'], name: 'StreamPulse north', mf: 'StreamPulse', mdl: 'Camera stream monitor', sw: '1.2.3' });
    assert.deepEqual(payload.avty, [{ topic: 'streampulse/north/status', payload_available: 'online', payload_not_available: 'offline' }]);
    assert.equal(payload.cmps['store_size']?.unique_id, 'streampulse_north__hub_store_size');
    assert.equal(payload.cmps['store_size']?.stat_t, 'streampulse/north/_hub/state');
  });
});

describe('removalMessage', () => {
  it('is an empty retained config at QoS 1', () => {
    assert.deepEqual(removalMessage(north, 'streampulse_north_gate'), {
      topic: 'homeassistant/device/streampulse_north_gate/config',
      payload: '',
      retain: true,
      qos: 1,
    });
  });
});
