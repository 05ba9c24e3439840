/** The broker config node's settings, resolved: dialog values, `${ENV}` credentials, TLS from a tls-config node. */
import { parseBrokerSettings } from '../lib/mqtt/broker-options.js';
import type { BrokerSettings } from '../lib/mqtt/broker-options.js';
import { resolveNaming } from '../lib/mqtt/topics.js';
import type { MqttNaming } from '../lib/mqtt/topics.js';
import type { Node } from '../shared/node-red.js';

export const BROKER_TYPE = 'streampulse-broker';

export interface BrokerDef {
  url?: string;
  clientId?: string;
  keepalive?: number | string;
  tls?: string;
  insecure?: boolean;
  discoveryPrefix?: string;
  baseTopic?: string;
  site?: string;
}

export interface BrokerCredentials {
  user: string;
  password: string;
}

/** A core `tls-config` node: it copies ca/cert/key into connection options. */
export interface TlsConfigNode {
  addTLSOptions(options: Record<string, unknown>): void;
}

export type ResolvedBroker =
  | { kind: 'off'; reason: string }
  | { kind: 'invalid'; errors: string[] }
  | { kind: 'ok'; broker: BrokerSettings; naming: MqttNaming };

/** What health-publish nodes see of the config node. */
export interface BrokerNode extends Node<BrokerCredentials> {
  resolved: ResolvedBroker;
}

/**
 * `${NAME}` as a whole value reads the environment, as Node-RED does for node properties (it does
 * not for credentials, where a Docker or Home Assistant setup wants MQTT_PASSWORD the most).
 */
export function fromEnv(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const match = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value?.trim() ?? '');
  const resolved = match?.[1] !== undefined ? env[match[1]] : value;
  return resolved?.trim() === '' ? undefined : resolved;
}

export function resolveBroker(
  def: BrokerDef, credentials: Partial<BrokerCredentials> | undefined, tls: TlsConfigNode | undefined, env: NodeJS.ProcessEnv = process.env,
): ResolvedBroker {
  const url = fromEnv(def.url, env);
  if (url === undefined) return { kind: 'off', reason: 'no broker URL (set it in the broker node or MQTT_URL)' };
  const naming = resolveNaming({
    discoveryPrefix: fromEnv(def.discoveryPrefix, env) ?? 'homeassistant',
    baseTopic: fromEnv(def.baseTopic, env) ?? 'streampulse',
    site: fromEnv(def.site, env) ?? '',
  });
  const tlsOptions: Record<string, unknown> = {};
  tls?.addTLSOptions(tlsOptions);
  const pem = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
  const input: Record<string, unknown> = {
    url,
    clientId: fromEnv(def.clientId, env),
    // Empty credentials fall back to MQTT_USERNAME / MQTT_PASSWORD: the shipped flow and the
    // Home Assistant app configure the broker by environment alone.
    username: fromEnv(credentials?.user, env) ?? fromEnv('${MQTT_USERNAME}', env),
    password: fromEnv(credentials?.password, env) ?? fromEnv('${MQTT_PASSWORD}', env),
    keepaliveSec: def.keepalive === undefined || def.keepalive === '' ? undefined : Number(def.keepalive),
    rejectUnauthorized: def.insecure !== true && tlsOptions.rejectUnauthorized !== false,
    ca: pem(tlsOptions.ca),
    cert: pem(tlsOptions.cert),
    key: pem(tlsOptions.key),
  };
  for (const key of Object.keys(input)) if (input[key] === undefined) delete input[key];
  const errors: string[] = naming.ok ? [] : naming.errors;
  let broker: BrokerSettings | undefined;
  try {
    broker = parseBrokerSettings(input);
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  }
  if (errors.length > 0 || !broker || !naming.ok) return { kind: 'invalid', errors };
  return { kind: 'ok', broker, naming: naming.naming };
}
