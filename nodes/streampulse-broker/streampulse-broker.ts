/**
 * `streampulse-broker` config node: where health-publish connects (mqtt://, mqtts://, ws://,
 * wss://), with credentials (which may be `${MQTT_PASSWORD}`), optional TLS through a core
 * tls-config node, and the topic naming (discovery prefix, base topic, site). It holds settings
 * only; each health-publish node owns its connection.
 */
import type { Node, NodeAPI, NodeDef } from '../shared/node-red.js';
import { BROKER_TYPE, resolveBroker } from './broker-config.js';
import type { BrokerCredentials, BrokerDef, BrokerNode, TlsConfigNode } from './broker-config.js';

export = function register(RED: NodeAPI): void {
  function BrokerConfigNode(this: Node<BrokerCredentials>, def: BrokerDef & NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as BrokerNode;
    const tls = def.tls ? (RED.nodes.getNode(def.tls) as unknown as TlsConfigNode | null) ?? undefined : undefined;
    node.resolved = resolveBroker(def, node.credentials, tls);
    if (node.resolved.kind === 'invalid') node.error(RED._('streampulse-broker.errors.invalid', { errors: node.resolved.errors.join('; ') }));
  }

  RED.nodes.registerType(BROKER_TYPE, BrokerConfigNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });
};
