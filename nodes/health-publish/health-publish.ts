/**
 * `health-publish`: every camera into Home Assistant over MQTT — device discovery, retained
 * state, bridge availability — and every message it publishes on its output. Thin wiring: what
 * to publish is ../lib/mqtt/planner, how is ../lib/mqtt/link (which queues while the broker is
 * away, so probing and storing never wait for it).
 */
import { checkHeartbeat } from '../lib/heartbeat-schema.js';
import { MqttLink } from '../lib/mqtt/link.js';
import type { PublishMessage } from '../lib/mqtt/message.js';
import { PublishPlanner } from '../lib/mqtt/planner.js';
import type { UptimeStats } from '../lib/mqtt/state.js';
import { bridgeTopic, discoverySubscription, homeAssistantStatusTopic, isHomeAssistantBirth } from '../lib/mqtt/topics.js';
import { packageVersion } from '../shared/package-version.js';
import type { Node, NodeAPI, NodeDef } from '../shared/node-red.js';
import type { BrokerNode } from '../streampulse-broker/broker-config.js';
import type { CamerasNode } from '../streampulse-cameras/cameras.js';
import type { StoreNode } from '../streampulse-store/store-config.js';
import { PublishStatus } from './status.js';

interface HealthPublishDef extends NodeDef {
  broker?: string;
  cameras?: string;
  store?: string;
  refreshMinutes?: number | string;
}

/** How long retained discovery is collected after connecting, to find our own stale devices. */
const STALE_SCAN_MS = 2000;
const TICK_MS = 10_000;

export = function register(RED: NodeAPI): void {
  function HealthPublishNode(this: Node, def: HealthPublishDef): void {
    RED.nodes.createNode(this, def);
    start(RED, this, def);
  }
  RED.nodes.registerType('health-publish', HealthPublishNode);
};

function start(RED: NodeAPI, node: Node, def: HealthPublishDef): void {
  const broker = def.broker ? (RED.nodes.getNode(def.broker) as BrokerNode | null) : null;
  const resolved = broker?.resolved;
  if (!resolved || resolved.kind !== 'ok') {
    // Off, not failing: no reconnect storm, heartbeats pass into the void quietly.
    const text = !resolved ? RED._('health-publish.status.noBroker')
      : resolved.kind === 'off' ? RED._('health-publish.status.off') : RED._('health-publish.status.invalid');
    node.status({ fill: resolved?.kind === 'invalid' ? 'red' : 'grey', shape: 'ring', text });
    if (resolved?.kind === 'off') node.log(RED._('health-publish.log.off', { reason: resolved.reason }));
    node.on('input', (_msg, _send, done) => done());
    return;
  }
  const cameras = def.cameras ? (RED.nodes.getNode(def.cameras) as CamerasNode | null) : null;
  const store = def.store ? (RED.nodes.getNode(def.store) as StoreNode | null)?.service : undefined;
  const refreshMinutes = Number(def.refreshMinutes);
  const planner = new PublishPlanner({
    naming: resolved.naming,
    origin: { version: packageVersion() },
    ...(Number.isFinite(refreshMinutes) && refreshMinutes > 0 ? { refreshMs: refreshMinutes * 60_000 } : {}),
    learnStreams: !cameras,
  });
  const status = new PublishStatus(RED, node);
  const link = new MqttLink({
    broker: resolved.broker,
    availabilityTopic: bridgeTopic(resolved.naming),
    onError: (message) => {
      node.warn(message);
      status.update(link.status());
    },
  });
  const publish = (messages: readonly PublishMessage[]): void => {
    for (const { change, ...message } of messages) {
      link.publish(message, { change: change === true });
      node.send({ topic: message.topic, payload: message.payload, retain: message.retain, qos: message.qos });
    }
  };

  let list: { id: string; name: string; area?: string }[] = [];
  let closing = false;
  link.on('connect', () => {
    publish(planner.start(list));
    status.update(link.status());
    if (!cameras) return;
    link.collectRetained(discoverySubscription(resolved.naming), STALE_SCAN_MS).then(
      (found) => publish(planner.staleDiscovery([...found].map(([topic, payload]) => ({ topic, payload })))),
      () => undefined, // disconnected or closed meanwhile: the next connect scans again
    );
  });
  link.on('disconnect', () => status.update(link.status()));
  link.subscribe(homeAssistantStatusTopic(resolved.naming), (topic, payload) => {
    if (isHomeAssistantBirth(resolved.naming, topic, payload.toString('utf8'))) publish(planner.homeAssistantOnline());
  });
  for (const skipped of planner.skipped.values()) node.warn(skipped);

  const unsubscribe = cameras?.subscribe((state) => {
    const streams = state.ok ? state.streams : state.lastGood;
    if (!streams || closing) return;
    list = streams.filter((s) => s.enabled).map((s) => ({ id: s.id, name: s.name, ...(s.area ? { area: s.area } : {}) }));
    publish(planner.setStreams(list));
    for (const skipped of planner.skipped.values()) node.warn(skipped);
  });

  const ticker = setInterval(() => {
    if (store) store.sizeBytes().then((bytes) => planner.setStoreBytes(bytes), () => undefined);
    publish(planner.tick());
    status.update(link.status());
  }, TICK_MS);

  // Learning streams from heartbeats, an id refused by the planner (unfit for topics, or too long
  // with the site in front) is said once, not on every probe.
  const warnedIds = new Set<string>();
  node.on('input', (msg, _send, done) => {
    const check = checkHeartbeat(msg.payload);
    if (!check.ok) {
      done(new Error(RED._('health-publish.errors.badInput', { error: check.error })));
      return;
    }
    publish(planner.heartbeat(check.heartbeat, readUptime(msg.uptime)));
    const id = check.heartbeat.stream.id;
    const skipped = planner.skipped.get(id);
    if (skipped !== undefined && !cameras && !warnedIds.has(id)) {
      warnedIds.add(id);
      node.warn(skipped);
    }
    done();
  });

  node.on('close', (_removed, done) => {
    closing = true;
    unsubscribe?.();
    clearInterval(ticker);
    status.close();
    // close() publishes the retained `offline` itself and is bounded (2 s).
    link.close().then(() => done(), () => done());
  });
}

/** `msg.uptime` from heartbeat-store, if it is one. */
function readUptime(value: unknown): UptimeStats | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const u = value as Record<string, unknown>;
  const pick = (v: unknown): number | null | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : v === null ? null : undefined);
  return { h24: pick(u.h24), d7: pick(u.d7), d30: pick(u.d30) };
}
