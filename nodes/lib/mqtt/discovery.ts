/**
 * Home Assistant device-based discovery payloads: one retained message per camera on
 * `<prefix>/device/<device id>/config` declares the device and all its entities at once
 * (https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload), plus one for the
 * monitor itself (the hub).
 *
 * Keys: the device, origin, component map, platform and topic keys use Home Assistant's
 * documented abbreviations (`dev`, `o`, `cmps`, `p`, `stat_t`, `json_attr_t`): they repeat in every
 * payload, and a broker may retain 10,000 of them. Entity options are spelled out so a reader
 * can look them up in Home Assistant's docs. The default entity id is `default_entity_id`;
 * `object_id` is deprecated since Home Assistant 2025.10 and ignored from 2026.4.
 *
 * Entities read the state JSON of state.ts; each template renders `None` when a value is unknown,
 * which Home Assistant shows as "unknown" instead of logging a template error.
 */
import type { Protocol } from '../heartbeat.js';
import { HEALTH_STATES, PROBE_CODES } from '../heartbeat.js';
import { retained } from './message.js';
import type { PublishMessage } from './message.js';
import {
  ORIGIN_NAME,
  bridgeTopic,
  cameraDeviceId,
  discoveryTopic,
  hubDeviceId,
  hubStateTopic,
  stateTopic,
} from './topics.js';
import type { MqttNaming } from './topics.js';

export const DEFAULT_SUPPORT_URL = 'https://github.com/streampulse/node-red-streampulse';

/** Who publishes the discovery (`o`): shown in Home Assistant's MQTT info and logs. */
export interface OriginInfo {
  /** StreamPulse's version (package.json). */
  version: string;
  supportUrl?: string;
}

/** A camera as discovery describes it: its config plus what probes have learned so far. */
export interface CameraDevice {
  id: string;
  name: string;
  area?: string;
  /** The protocol a probe actually spoke (becomes the device's manufacturer line). */
  protocol?: Protocol;
  /** Codec label (state.ts codecLabel) from the probes (becomes the model line). */
  codec?: string | null;
}

export interface DiscoveryComponent {
  p: 'binary_sensor' | 'sensor';
  name: string | null;
  unique_id: string;
  default_entity_id: string;
  device_class?: string;
  state_class?: 'measurement';
  unit_of_measurement?: string;
  suggested_display_precision?: number;
  options?: readonly string[];
  entity_category?: 'diagnostic';
  stat_t: string;
  value_template: string;
  json_attr_t?: string;
  json_attributes_template?: string;
}

export interface DiscoveryPayload {
  dev: { ids: string[]; name: string; mf?: string; mdl?: string; sw?: string; sa?: string; via_device?: string };
  o: { name: string; sw: string; url: string };
  avty: { topic: string; payload_available: 'online'; payload_not_available: 'offline' }[];
  qos: 1;
  cmps: Record<string, DiscoveryComponent>;
}

const PROTOCOL_LABELS: Record<Protocol, string> = {
  rtsp: 'RTSP',
  rtsps: 'RTSPS',
  mjpeg: 'MJPEG over HTTP',
  jpeg: 'JPEG snapshot',
  hls: 'HLS',
};

/** What a component needs besides the parts every one shares. */
type ComponentSpec = Omit<DiscoveryComponent, 'unique_id' | 'default_entity_id' | 'stat_t' | 'json_attr_t'> & {
  key: string;
  attributes?: string;
};

const ON_OFF =
  "{% if value_json.health.state in ['online', 'degraded'] %}ON" +
  "{% elif value_json.health.state == 'offline' %}OFF{% else %}None{% endif %}";
const CONNECTIVITY_ATTRIBUTES =
  "{{ {'url': value_json.stream.url, 'protocol': value_json.stream.protocol, 'code': value_json.code, " +
  "'message': value_json.message, 'since': value_json.health.since, 'fail_streak': value_json.health.failStreak, " +
  "'flapping': value_json.health.flapping} | tojson }}";
const ERROR_ATTRIBUTES =
  "{{ {'message': value_json.lastError.message, 'at': value_json.lastError.ts} | tojson if value_json.lastError else '{}' }}";
const RESOLUTION =
  '{% if value_json.lastKnown.width and value_json.lastKnown.height %}' +
  '{{ value_json.lastKnown.width }}x{{ value_json.lastKnown.height }}{% else %}None{% endif %}';

const CAMERA_COMPONENTS: readonly ComponentSpec[] = [
  // The main entity: `name: null` makes Home Assistant call it by the device's name.
  { key: 'connectivity', p: 'binary_sensor', name: null, device_class: 'connectivity', value_template: ON_OFF, attributes: CONNECTIVITY_ATTRIBUTES },
  { key: 'health', p: 'sensor', name: 'Health', device_class: 'enum', options: HEALTH_STATES, value_template: '{{ value_json.health.state }}' },
  {
    key: 'last_error',
    p: 'sensor',
    name: 'Last error',
    device_class: 'enum',
    options: PROBE_CODES.filter((code) => code !== 'ok'),
    value_template: '{{ value_json.lastError.code if value_json.lastError else none }}',
    attributes: ERROR_ATTRIBUTES,
  },
  {
    key: 'latency',
    p: 'sensor',
    name: 'Latency',
    device_class: 'duration',
    state_class: 'measurement',
    unit_of_measurement: 'ms',
    suggested_display_precision: 0,
    // A failed probe's latency is its timeout, not the camera's speed.
    value_template: '{{ value_json.latencyMs if value_json.ok else none }}',
  },
  { key: 'uptime_24h', p: 'sensor', name: 'Uptime (24 h)', state_class: 'measurement', unit_of_measurement: '%', suggested_display_precision: 1, value_template: '{{ value_json.uptime.h24 }}' },
  { key: 'last_seen', p: 'sensor', name: 'Last seen', device_class: 'timestamp', value_template: '{{ value_json.lastSeen }}' },
  { key: 'codec', p: 'sensor', name: 'Codec', entity_category: 'diagnostic', value_template: '{{ value_json.lastKnown.codec }}' },
  { key: 'resolution', p: 'sensor', name: 'Resolution', entity_category: 'diagnostic', value_template: RESOLUTION },
  { key: 'fps', p: 'sensor', name: 'Frame rate', state_class: 'measurement', unit_of_measurement: 'fps', suggested_display_precision: 1, entity_category: 'diagnostic', value_template: '{{ value_json.lastKnown.fps }}' },
  { key: 'clock_skew', p: 'sensor', name: 'Clock skew', state_class: 'measurement', unit_of_measurement: 'ms', suggested_display_precision: 0, entity_category: 'diagnostic', value_template: '{{ value_json.lastKnown.clockSkewMs }}' },
];

const HUB_COMPONENTS: readonly ComponentSpec[] = [
  { key: 'streams_online', p: 'sensor', name: 'Streams online', state_class: 'measurement', value_template: '{{ value_json.streams.online }}' },
  { key: 'streams_offline', p: 'sensor', name: 'Streams offline', state_class: 'measurement', value_template: '{{ value_json.streams.offline }}' },
  { key: 'streams_total', p: 'sensor', name: 'Streams total', state_class: 'measurement', value_template: '{{ value_json.streams.total }}' },
  { key: 'probes_per_minute', p: 'sensor', name: 'Probes per minute', state_class: 'measurement', unit_of_measurement: 'probes/min', suggested_display_precision: 0, value_template: '{{ value_json.probesPerMinute }}' },
  {
    key: 'store_size',
    p: 'sensor',
    name: 'Store size',
    device_class: 'data_size',
    state_class: 'measurement',
    unit_of_measurement: 'B',
    entity_category: 'diagnostic',
    value_template: '{{ value_json.storeBytes }}',
  },
];

/**
 * Home Assistant prefixes an entity's friendly name with its device's name and warns when the
 * entity name already starts with it ("Latency" on a camera called "Lat"): such names get a
 * neutral word in front.
 */
export function entityName(deviceName: string, name: string | null): string | null {
  if (name === null) return null;
  const device = deviceName.trim().toLowerCase();
  if (device === '' || !name.toLowerCase().startsWith(device)) return name;
  return `Stream ${name.toLowerCase()}`;
}

/** Entity ids allow only lower-case letters, digits and `_`; stream ids may also hold `-`. */
function entityObjectId(uniqueId: string): string {
  // Entity ids allow [a-z0-9_] without a doubled, leading or trailing `_` (the hub's `__hub`).
  return uniqueId.replace(/-/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '');
}

function buildComponents(
  specs: readonly ComponentSpec[],
  deviceId: string,
  deviceName: string,
  topic: string,
): Record<string, DiscoveryComponent> {
  const cmps: Record<string, DiscoveryComponent> = {};
  for (const { key, attributes, ...spec } of specs) {
    const uniqueId = `${deviceId}_${key}`;
    const { p, name, value_template: valueTemplate, ...options } = spec;
    cmps[key] = {
      p,
      name: entityName(deviceName, name),
      unique_id: uniqueId,
      default_entity_id: `${p}.${entityObjectId(uniqueId)}`,
      ...options,
      stat_t: topic,
      value_template: valueTemplate,
      ...(attributes !== undefined ? { json_attr_t: topic, json_attributes_template: attributes } : {}),
    };
  }
  return cmps;
}

function origin(info: OriginInfo): DiscoveryPayload['o'] {
  return { name: ORIGIN_NAME, sw: info.version, url: info.supportUrl ?? DEFAULT_SUPPORT_URL };
}

/** Entities are available while this instance's bridge is: a camera that is down is "off", not unavailable. */
function availability(naming: MqttNaming): DiscoveryPayload['avty'] {
  return [{ topic: bridgeTopic(naming), payload_available: 'online', payload_not_available: 'offline' }];
}

export function cameraDiscovery(naming: MqttNaming, camera: CameraDevice, info: OriginInfo): DiscoveryPayload {
  const deviceId = cameraDeviceId(naming, camera.id);
  const name = camera.name.trim() === '' ? camera.id : camera.name;
  const dev: DiscoveryPayload['dev'] = { ids: [deviceId], name };
  if (camera.protocol !== undefined) dev.mf = PROTOCOL_LABELS[camera.protocol];
  if (camera.codec) dev.mdl = camera.codec;
  if (camera.area !== undefined && camera.area.trim() !== '') dev.sa = camera.area;
  dev.via_device = hubDeviceId(naming);
  return {
    dev,
    o: origin(info),
    avty: availability(naming),
    qos: 1,
    cmps: buildComponents(CAMERA_COMPONENTS, deviceId, name, stateTopic(naming, camera.id)),
  };
}

export function hubDiscovery(naming: MqttNaming, info: OriginInfo): DiscoveryPayload {
  const deviceId = hubDeviceId(naming);
  const name = naming.site === undefined ? ORIGIN_NAME : `${ORIGIN_NAME} ${naming.site}`;
  return {
    dev: { ids: [deviceId], name, mf: ORIGIN_NAME, mdl: 'Camera stream monitor', sw: info.version },
    o: origin(info),
    avty: availability(naming),
    qos: 1,
    cmps: buildComponents(HUB_COMPONENTS, deviceId, name, hubStateTopic(naming)),
  };
}

export function cameraDiscoveryMessage(naming: MqttNaming, camera: CameraDevice, info: OriginInfo): PublishMessage {
  return retained(discoveryTopic(naming, cameraDeviceId(naming, camera.id)), JSON.stringify(cameraDiscovery(naming, camera, info)));
}

export function hubDiscoveryMessage(naming: MqttNaming, info: OriginInfo): PublishMessage {
  return retained(discoveryTopic(naming, hubDeviceId(naming)), JSON.stringify(hubDiscovery(naming, info)));
}

/** An empty retained config removes the device and its entities from Home Assistant and clears the broker's copy. */
export function removalMessage(naming: MqttNaming, deviceId: string): PublishMessage {
  return retained(discoveryTopic(naming, deviceId), '');
}
