/**
 * What the app's container hands to the product: the environment of `dist/nodes/cli/start.js`
 * (STREAMPULSE_DATA, STREAMPULSE_STREAMS, PORT, MQTT_*, retention, log level), the streams file
 * text, and the lines to log about it. Pure: the CLI (nodes/cli/addon.ts) does the I/O.
 */
import type { AddonOptions, LogLevelOption } from './options.js';
import { buildStreamsYaml } from './streams.js';
import type { MqttService } from './supervisor.js';

/**
 * Node-RED listens here for Home Assistant's ingress proxy. 8099 is the Supervisor's default
 * ingress port, so config.yaml needs no `ingress_port` (the app linter rejects restating a
 * default), and nothing maps it to the host. https://developers.home-assistant.io/docs/apps/presentation#ingress
 */
export const INGRESS_PORT = 8099;

/**
 * The only peers that should reach Node-RED: the Supervisor's ingress proxy and the container's
 * own HEALTHCHECK. Handed to start.js as STREAMPULSE_ALLOWED_CLIENTS, which refuses every other
 * address with 403, WebSockets included (nodes/lib/launch/allowed-clients.ts).
 */
export const INGRESS_CLIENTS = ['172.30.32.2', '127.0.0.1', '::1'] as const;

/** Node-RED log levels for Home Assistant's names. */
const NODE_RED_LEVEL: Record<LogLevelOption, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** Every variable of the start.js contract: the child gets these from the plan only, never inherited. */
export const CONTRACT_ENV = [
  'STREAMPULSE_DATA',
  'STREAMPULSE_STREAMS',
  'PORT',
  'HOST',
  'MQTT_URL',
  'MQTT_USERNAME',
  'MQTT_PASSWORD',
  'STREAMPULSE_LOG_LEVEL',
  'STREAMPULSE_HTTP_ROOT',
  'STREAMPULSE_RETENTION_RAW_HOURS',
  'STREAMPULSE_RETENTION_MINUTE_DAYS',
  'STREAMPULSE_RETENTION_HOUR_DAYS',
  'STREAMPULSE_RETENTION_DAY_DAYS',
  'STREAMPULSE_RETENTION_OUTAGE_DAYS',
  'STREAMPULSE_ALLOWED_CLIENTS',
  'STREAMPULSE_DB',
  'STREAMPULSE_ADMIN_USER',
  'STREAMPULSE_ADMIN_PASSWORD',
  'STREAMPULSE_CREDENTIAL_SECRET',
] as const;

/**
 * Not for Node-RED: the Supervisor token would let any flow or installed node call the Supervisor
 * API; the rest only steer nodes/cli/addon.ts itself.
 */
const WITHHELD_ENV = [
  'SUPERVISOR_TOKEN',
  'HASSIO_TOKEN',
  'STREAMPULSE_ADDON_OPTIONS',
  'STREAMPULSE_ADDON_DATA',
  'STREAMPULSE_START_SCRIPT',
  'STREAMPULSE_SUPERVISOR_URL',
] as const;

export interface LaunchPaths {
  /** Node-RED user dir: database, flows, settings (under /data, so backups include it). */
  dataDir: string;
  /** Where the streams file is written. */
  streamsFile: string;
}

export interface LaunchContext {
  /** The TZ the Supervisor sets (Home Assistant's time zone). */
  timezone?: string;
}

export interface LaunchPlan {
  env: Record<string, string>;
  streamsYaml: string;
  /** Lines for the app log; never a password. */
  notes: string[];
}

export function planLaunch(options: AddonOptions, mqtt: MqttService | undefined, paths: LaunchPaths, context: LaunchContext = {}): LaunchPlan {
  const notes: string[] = [];
  const env: Record<string, string> = {
    STREAMPULSE_DATA: paths.dataDir,
    STREAMPULSE_STREAMS: paths.streamsFile,
    PORT: String(INGRESS_PORT),
    STREAMPULSE_ALLOWED_CLIENTS: INGRESS_CLIENTS.join(','),
  };
  // HOST stays unset (all interfaces): the ingress proxy connects over the app network.
  // STREAMPULSE_HTTP_ROOT stays unset: ingress serves the app under a path of its own and the
  // product's pages use relative URLs.
  if (mqtt === undefined) {
    notes.push(
      'MQTT: no broker is offered by the Supervisor, so publishing to Home Assistant is off. Install and start ' +
        'the Mosquitto broker app (and the MQTT integration), then restart StreamPulse. Probing, history and the dashboard work without it.',
    );
  } else {
    env.MQTT_URL = mqttUrl(mqtt);
    if (mqtt.username !== undefined) env.MQTT_USERNAME = mqtt.username;
    if (mqtt.password !== undefined) env.MQTT_PASSWORD = mqtt.password;
    const login = mqtt.username === undefined ? 'without a login' : 'with the login the Supervisor provides';
    notes.push(`MQTT: publishing to Home Assistant through ${env.MQTT_URL} ${login}`);
  }
  if (options.log_level !== undefined) env.STREAMPULSE_LOG_LEVEL = NODE_RED_LEVEL[options.log_level];
  const retention = [
    ['STREAMPULSE_RETENTION_RAW_HOURS', options.retention_raw_hours],
    ['STREAMPULSE_RETENTION_MINUTE_DAYS', options.retention_minute_days],
    ['STREAMPULSE_RETENTION_HOUR_DAYS', options.retention_hour_days],
    ['STREAMPULSE_RETENTION_DAY_DAYS', options.retention_day_days],
    ['STREAMPULSE_RETENTION_OUTAGE_DAYS', options.retention_outage_days],
  ] as const;
  for (const [key, value] of retention) if (value !== undefined) env[key] = String(value);

  const timezone = ianaTimeZone(context.timezone);
  if (context.timezone !== undefined && context.timezone !== '' && timezone === undefined) {
    notes.push(`time zone: TZ "${context.timezone}" is not an IANA name; daily roll-ups use UTC`);
  }
  const count = options.cameras.length;
  notes.push(count === 0 ? 'No cameras configured yet: add them on the Configuration tab.' : `${count} camera${count === 1 ? '' : 's'} configured`);
  return { env, streamsYaml: buildStreamsYaml(options, timezone === undefined ? {} : { timezone }), notes };
}

/** `mqtt://host:1883`, `mqtts://host:8883`; an IPv6 literal goes in brackets (RFC 3986 §3.2.2). */
export function mqttUrl(service: MqttService): string {
  const host = service.host.includes(':') && !service.host.startsWith('[') ? `[${service.host}]` : service.host;
  return `${service.ssl ? 'mqtts' : 'mqtt'}://${host}:${service.port}`;
}

/**
 * The child's environment: the container's (PATH, TZ, …) without the Supervisor token, the
 * app CLI's own settings and any stale contract variable, then the plan's.
 */
export function childEnvironment(parent: Readonly<Record<string, string | undefined>>, planned: Readonly<Record<string, string>>): Record<string, string> {
  const dropped = new Set<string>([...CONTRACT_ENV, ...WITHHELD_ENV]);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parent)) {
    if (value !== undefined && !dropped.has(key)) env[key] = value;
  }
  return { ...env, ...planned };
}

/** The canonical IANA name for `name`, as the streams-file check accepts it; undefined otherwise. */
function ianaTimeZone(name: string | undefined): string | undefined {
  if (name === undefined || name.trim() === '') return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name.trim() }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
