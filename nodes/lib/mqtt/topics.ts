/**
 * Every MQTT topic StreamPulse publishes or subscribes to, derived from one validated naming, so
 * no other file glues topic strings together. A site id namespaces topics, device ids and unique
 * ids, so several StreamPulse instances (one per camera network) can share one broker and two
 * sites may both have a camera called "Gate" (issue 8, "Beyond one machine").
 *
 * Home Assistant device-based discovery: https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload
 */
import type { PublishMessage } from './message.js';

export interface MqttNaming {
  /** Home Assistant's discovery prefix (default `homeassistant`). */
  discoveryPrefix: string;
  /** Our topics live under it (default `streampulse`). */
  baseTopic: string;
  /** Namespaces this instance when several share a broker. */
  site?: string;
}

export const DEFAULT_DISCOVERY_PREFIX = 'homeassistant';
export const DEFAULT_BASE_TOPIC = 'streampulse';
/** The `o.name` of every discovery payload we publish. */
export const ORIGIN_NAME = 'StreamPulse';
/** Prefix of every device id we announce, so a clean-up can never mistake another integration's device for ours. */
export const DEVICE_ID_PREFIX = 'streampulse';
/**
 * No `_` in a site id: device ids join site and stream with `_`, so site `a` + camera `b_c` and
 * site `a_b` + camera `c` would both be `streampulse_a_b_c`.
 */
export const SITE_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** What the camera-list loader allows (config/slug.ts); anything else is not safe as a topic level. */
export const MQTT_STREAM_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/**
 * The monitor's own device is `<prefix>__hub` and its state `<base>/_hub/state`: stream ids never
 * start with `_` (MQTT_STREAM_ID_PATTERN), so no camera can collide with it.
 */
export const HUB_ID = '_hub';

const MAX_SEGMENT_LENGTH = 128;

export type NamingResult = { ok: true; naming: MqttNaming } | { ok: false; errors: string[] };

/**
 * One topic level we own: MQTT forbids wildcards and NUL in topic names, `/` would add a level,
 * and topics starting with `$` are reserved for the broker
 * (https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901241, 4.7.1 and 4.7.2).
 */
function segmentProblem(label: string, value: string): string | undefined {
  if (value === '') return `${label} must not be empty`;
  if (value.length > MAX_SEGMENT_LENGTH) return `${label} must be at most ${MAX_SEGMENT_LENGTH} characters`;
  if (/[+#/]/.test(value) || value.includes('\u0000')) return `${label} must be one topic level without '+', '#', '/' or NUL`;
  if (value.startsWith('$')) return `${label} must not start with '$' (reserved for the broker)`;
  if (value.trim() !== value) return `${label} must not start or end with white space`;
  return undefined;
}

/** Applies defaults and validates; `site: ''` means no site. */
export function resolveNaming(input: Partial<MqttNaming> = {}): NamingResult {
  const naming: MqttNaming = {
    discoveryPrefix: input.discoveryPrefix ?? DEFAULT_DISCOVERY_PREFIX,
    baseTopic: input.baseTopic ?? DEFAULT_BASE_TOPIC,
  };
  const errors: string[] = [];
  const prefixProblem = segmentProblem('discovery prefix', naming.discoveryPrefix);
  if (prefixProblem) errors.push(prefixProblem);
  const baseProblem = segmentProblem('base topic', naming.baseTopic);
  if (baseProblem) errors.push(baseProblem);
  if (input.site !== undefined && input.site !== '') {
    if (SITE_PATTERN.test(input.site)) naming.site = input.site;
    else errors.push('site must be 1-32 characters: lower-case letters, digits or "-", starting with a letter or digit');
  }
  return errors.length === 0 ? { ok: true, naming } : { ok: false, errors };
}

/**
 * Why a stream cannot be published under MQTT, or undefined when it can. With a site, the id
 * the state JSON carries (`<site>_<id>`, siteStreamId) must still fit the stream id pattern,
 * so a central store can keep it: a long id that fits alone may be too long with its site.
 */
export function streamIdProblem(id: string, naming?: Pick<MqttNaming, 'site'>): string | undefined {
  if (!MQTT_STREAM_ID_PATTERN.test(id)) return `stream id "${id}" is not usable in MQTT topics (lower-case letters, digits, "_", "-")`;
  if (naming?.site !== undefined && !MQTT_STREAM_ID_PATTERN.test(siteStreamId(naming, id))) {
    return `stream id "${id}" is too long for site "${naming.site}": "${siteStreamId(naming, id)}" would exceed 64 characters`;
  }
  return undefined;
}

/**
 * The stream's id as other instances see it: `<site>_<id>`, or the id alone without a site. Site
 * ids hold no `_` (SITE_PATTERN), so the first `_` splits it again, and two sites' "gate"
 * cameras stay two streams in a central store.
 */
export function siteStreamId(naming: Pick<MqttNaming, 'site'>, streamId: string): string {
  return naming.site === undefined ? streamId : `${naming.site}_${streamId}`;
}

/** `<base>` or `<base>/<site>`: where this instance's topics live. */
function instanceRoot(naming: MqttNaming): string {
  return naming.site === undefined ? naming.baseTopic : `${naming.baseTopic}/${naming.site}`;
}

/** Retained `online`/`offline` of this instance (its Last Will says `offline`). */
export function bridgeTopic(naming: MqttNaming): string {
  return `${instanceRoot(naming)}/status`;
}

export function stateTopic(naming: MqttNaming, streamId: string): string {
  return `${instanceRoot(naming)}/${streamId}/state`;
}

export function hubStateTopic(naming: MqttNaming): string {
  return stateTopic(naming, HUB_ID);
}

/** `streampulse_<id>` or `streampulse_<site>_<id>`: our namespace in Home Assistant's discovery topics. */
export function cameraDeviceId(naming: MqttNaming, streamId: string): string {
  return `${deviceIdPrefix(naming)}${streamId}`;
}

export function hubDeviceId(naming: MqttNaming): string {
  return `${deviceIdPrefix(naming)}${HUB_ID}`;
}

/** Every device id this instance owns starts with this. */
export function deviceIdPrefix(naming: MqttNaming): string {
  return naming.site === undefined ? `${DEVICE_ID_PREFIX}_` : `${DEVICE_ID_PREFIX}_${naming.site}_`;
}

export function discoveryTopic(naming: MqttNaming, deviceId: string): string {
  return `${naming.discoveryPrefix}/device/${deviceId}/config`;
}

/** Home Assistant's birth (`online`) and will (`offline`) topic. */
export function homeAssistantStatusTopic(naming: MqttNaming): string {
  return `${naming.discoveryPrefix}/status`;
}

/** Subscribe to it briefly after connecting to find retained discovery left by earlier runs. */
export function discoverySubscription(naming: MqttNaming): string {
  return `${naming.discoveryPrefix}/device/+/config`;
}

/** True when Home Assistant announces it (re)started: time to re-announce discovery, then states. */
export function isHomeAssistantBirth(naming: MqttNaming, topic: string, payload: string | Uint8Array): boolean {
  return topic === homeAssistantStatusTopic(naming) && payloadText(payload).trim() === 'online';
}

/** The Last Will to register when connecting: the broker publishes it if we vanish. */
export function bridgeWill(naming: MqttNaming): PublishMessage {
  return { topic: bridgeTopic(naming), payload: 'offline', retain: true, qos: 1 };
}

/** The device id in `<prefix>/device/<id>/config`, or undefined for any other topic. */
export function deviceIdOfDiscoveryTopic(naming: MqttNaming, topic: string): string | undefined {
  const levels = topic.split('/');
  if (levels.length !== 4 || levels[0] !== naming.discoveryPrefix || levels[1] !== 'device' || levels[3] !== 'config') {
    return undefined;
  }
  const id = levels[2];
  return id === undefined || id === '' ? undefined : id;
}

/** The stream id of one of our camera device ids (not the hub's), else undefined. */
export function streamIdOfDeviceId(naming: MqttNaming, deviceId: string): string | undefined {
  const prefix = deviceIdPrefix(naming);
  if (!deviceId.startsWith(prefix)) return undefined;
  const id = deviceId.slice(prefix.length);
  return streamIdProblem(id) === undefined ? id : undefined;
}

/**
 * True only for retained discovery this very instance published: our device-id prefix AND our
 * origin name AND this instance's bridge topic as availability. The prefix alone is not enough:
 * an instance without a site shares `streampulse_` with every site's devices, and another
 * integration could pick the same prefix; the bridge topic differs per site, so one site's
 * clean-up never touches another site's devices.
 */
export function isOurDiscovery(topic: string, payload: string | Uint8Array, naming: MqttNaming): boolean {
  const deviceId = deviceIdOfDiscoveryTopic(naming, topic);
  if (deviceId === undefined || !deviceId.startsWith(deviceIdPrefix(naming))) return false;
  const text = payloadText(payload);
  if (text.trim() === '') return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isRecord(parsed)) return false;
  const origin = parsed['o'] ?? parsed['origin'];
  if (!isRecord(origin) || origin['name'] !== ORIGIN_NAME) return false;
  return availabilityTopics(parsed).includes(bridgeTopic(naming));
}

/** Availability topics of a discovery payload, in any of the spellings Home Assistant accepts. */
function availabilityTopics(payload: Record<string, unknown>): string[] {
  const topics: string[] = [];
  for (const key of ['avty_t', 'availability_topic']) {
    const single = payload[key];
    if (typeof single === 'string') topics.push(single);
  }
  for (const key of ['avty', 'availability']) {
    const list = payload[key];
    if (!Array.isArray(list)) continue;
    for (const entry of list as unknown[]) {
      if (!isRecord(entry)) continue;
      const t = entry['topic'] ?? entry['t'];
      if (typeof t === 'string') topics.push(t);
    }
  }
  return topics;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function payloadText(payload: string | Uint8Array): string {
  return typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
}
