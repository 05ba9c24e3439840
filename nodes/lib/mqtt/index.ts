/**
 * MQTT for Home Assistant, the pure half: topics, discovery payloads, state documents and the
 * publish planner. The connection itself (mqtt.js) lives in link.ts.
 */
export type { PublishMessage, RetainedMessage } from './message.js';
export { retained } from './message.js';
export type { MqttNaming, NamingResult } from './topics.js';
export {
  DEFAULT_BASE_TOPIC,
  DEFAULT_DISCOVERY_PREFIX,
  HUB_ID,
  ORIGIN_NAME,
  SITE_PATTERN,
  bridgeTopic,
  bridgeWill,
  cameraDeviceId,
  deviceIdOfDiscoveryTopic,
  deviceIdPrefix,
  discoverySubscription,
  discoveryTopic,
  homeAssistantStatusTopic,
  hubDeviceId,
  hubStateTopic,
  isHomeAssistantBirth,
  isOurDiscovery,
  resolveNaming,
  stateTopic,
  streamIdOfDeviceId,
  streamIdProblem,
} from './topics.js';
export type { CameraDevice, DiscoveryComponent, DiscoveryPayload, OriginInfo } from './discovery.js';
export {
  DEFAULT_SUPPORT_URL,
  cameraDiscovery,
  cameraDiscoveryMessage,
  entityName,
  hubDiscovery,
  hubDiscoveryMessage,
  removalMessage,
} from './discovery.js';
export type { HubCounts, HubStatePayload, KnownMedia, LastError, StreamMemory, StreamStatePayload, UptimeStats } from './state.js';
export {
  EMPTY_MEMORY,
  codecLabel,
  countStates,
  hubStateJson,
  rememberHeartbeat,
  streamStateJson,
  streamStatePayload,
} from './state.js';
export type { CameraInfo, PlannerOptions } from './planner.js';
export { DEFAULT_HUB_INTERVAL_MS, DEFAULT_REFRESH_MS, PublishPlanner } from './planner.js';
