/**
 * The environment of `npm start` (dist/nodes/cli/start.js), checked once, up front: every problem
 * is one line naming its variable, so Docker, systemd and the Home Assistant app fail at start
 * with a reason instead of running half-configured. Pure: the caller passes the environment,
 * the home directory and the working directory.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { parseBrokerSettings, BrokerOptionsError } from '../mqtt/broker-options.js';
import { redactText } from '../util/redact.js';
import { parseAllowedClients } from './allowed-clients.js';

/** Node-RED's console log levels (https://nodered.org/docs/user-guide/runtime/logging). */
export const LOG_LEVELS = ['off', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_PORT = 1880;

/** Read by the store node itself (nodes/streampulse-store/store-config.ts); checked here so a typo stops the start. */
export const RETENTION_ENV = [
  'STREAMPULSE_RETENTION_RAW_HOURS',
  'STREAMPULSE_RETENTION_MINUTE_DAYS',
  'STREAMPULSE_RETENTION_HOUR_DAYS',
  'STREAMPULSE_RETENTION_DAY_DAYS',
  'STREAMPULSE_RETENTION_OUTAGE_DAYS',
] as const;

export interface LaunchConfig {
  /** Node-RED's user directory: flows, credentials, the database by default. Absolute. */
  dataDir: string;
  /** The streams YAML file. Absolute. */
  streamsFile: string;
  /** The SQLite history. Absolute. */
  dbFile: string;
  port: number;
  /** undefined: every interface, IPv4 and IPv6. */
  host: string | undefined;
  /** Prefix of the editor and of the flows' HTTP routes: `/` or `/a/b/`. */
  httpRoot: string;
  logLevel: LogLevel;
  /** undefined: publishing is off. Credential-free for display; the broker node reads the variables itself. */
  mqttUrl: string | undefined;
  /** Peers allowed to talk HTTP to Node-RED; undefined: everyone. */
  allowedClients: string[] | undefined;
  /** Login for the editor and the dashboard/API; undefined: no login. */
  admin: { user: string; password: string } | undefined;
  /** Key for flows_cred.json; undefined: Node-RED generates one and keeps it in the data directory. */
  credentialSecret: string | undefined;
}

export type EnvCheck = { ok: true; config: LaunchConfig; warnings: string[] } | { ok: false; errors: string[] };

export type Environment = Readonly<Record<string, string | undefined>>;

export interface EnvContext {
  homeDir: string;
  cwd: string;
}

export function readLaunchEnv(env: Environment, context: EnvContext): EnvCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  const dataDir = pathValue('STREAMPULSE_DATA', get('STREAMPULSE_DATA'), join(context.homeDir, '.streampulse'), context.cwd, context, errors);
  // Relative file paths are relative to the data directory, as the nodes resolve theirs against Node-RED's user directory.
  const streamsFile = pathValue('STREAMPULSE_STREAMS', get('STREAMPULSE_STREAMS'), join(dataDir, 'streams.yaml'), dataDir, context, errors);
  const dbFile = pathValue('STREAMPULSE_DB', get('STREAMPULSE_DB'), join(dataDir, 'streampulse.db'), dataDir, context, errors);

  const port = portValue(get('PORT'), errors);
  const host = hostValue(get('HOST'), errors);
  const httpRoot = httpRootValue(get('STREAMPULSE_HTTP_ROOT'), errors);
  const logLevel = logLevelValue(get('STREAMPULSE_LOG_LEVEL'), errors);
  const mqttUrl = mqttValue(get('MQTT_URL'), get('MQTT_USERNAME'), env.MQTT_PASSWORD, errors, warnings);

  for (const name of RETENTION_ENV) {
    const raw = get(name);
    if (raw !== undefined && !(/^\d+(\.\d+)?$/.test(raw) && Number(raw) > 0)) {
      errors.push(`${name}: "${raw}" is not a positive number`);
    }
  }

  let allowedClients: string[] | undefined;
  const clients = get('STREAMPULSE_ALLOWED_CLIENTS');
  if (clients !== undefined) {
    const parsed = parseAllowedClients(clients);
    if (parsed.ok) allowedClients = parsed.entries;
    else errors.push(...parsed.errors.map((e) => `STREAMPULSE_ALLOWED_CLIENTS: ${e}`));
  }

  let admin: LaunchConfig['admin'];
  const user = get('STREAMPULSE_ADMIN_USER');
  // A password is taken as typed: leading or trailing spaces may be part of it.
  const password = env.STREAMPULSE_ADMIN_PASSWORD === '' ? undefined : env.STREAMPULSE_ADMIN_PASSWORD;
  if (user !== undefined && password !== undefined) {
    if (/[:\s]/.test(user)) errors.push('STREAMPULSE_ADMIN_USER: must not contain ":" or spaces (HTTP Basic authentication)');
    if (password.length < 8) warnings.push('STREAMPULSE_ADMIN_PASSWORD: shorter than 8 characters; choose a longer one');
    admin = { user, password };
  } else if (user !== undefined) {
    errors.push('STREAMPULSE_ADMIN_PASSWORD: is required when STREAMPULSE_ADMIN_USER is set');
  } else if (password !== undefined) {
    errors.push('STREAMPULSE_ADMIN_USER: is required when STREAMPULSE_ADMIN_PASSWORD is set');
  }
  if (admin === undefined && allowedClients === undefined && !isLoopback(host)) {
    warnings.push(
      'the editor and the dashboard answer anyone who can reach this port without a login: ' +
        'set STREAMPULSE_ADMIN_USER and STREAMPULSE_ADMIN_PASSWORD, or HOST=127.0.0.1',
    );
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    warnings,
    config: {
      dataDir, streamsFile, dbFile, port, host, httpRoot, logLevel, mqttUrl, allowedClients, admin,
      credentialSecret: env.STREAMPULSE_CREDENTIAL_SECRET === '' ? undefined : env.STREAMPULSE_CREDENTIAL_SECRET,
    },
  };
}

function pathValue(name: string, raw: string | undefined, fallback: string, base: string, context: EnvContext, errors: string[]): string {
  if (raw === undefined) return fallback;
  if (raw.includes('\u0000')) {
    errors.push(`${name}: contains a NUL character`);
    return fallback;
  }
  // `~` as a shell would expand it, for values written into systemd units or .env files unexpanded.
  const expanded = raw === '~' ? context.homeDir : raw.startsWith('~/') ? join(context.homeDir, raw.slice(2)) : raw;
  return isAbsolute(expanded) ? resolve(expanded) : resolve(base, expanded);
}

function portValue(raw: string | undefined, errors: string[]): number {
  if (raw === undefined) return DEFAULT_PORT;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65_535)) {
    errors.push(`PORT: "${raw}" is not a port number (1 to 65535)`);
    return DEFAULT_PORT;
  }
  return port;
}

function hostValue(raw: string | undefined, errors: string[]): string | undefined {
  if (raw === undefined) return undefined;
  const host = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  // An IP literal or a host name (RFC 1123 labels); `0.0.0.0` and `::` mean every interface.
  const isName = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host);
  const isIp = /^[0-9a-fA-F:.]+$/.test(host) && (host.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(host));
  if (!isName && !isIp) {
    errors.push(`HOST: "${raw}" is not an IP address or host name`);
    return undefined;
  }
  return host;
}

function httpRootValue(raw: string | undefined, errors: string[]): string {
  if (raw === undefined) return '/';
  if (!/^\/?([A-Za-z0-9._~-]+\/?)*$/.test(raw) || /(^|\/)\.\.?(\/|$)/.test(raw)) {
    errors.push(`STREAMPULSE_HTTP_ROOT: "${raw}" is not a URL path like /streampulse-editor`);
    return '/';
  }
  const segments = raw.split('/').filter(Boolean);
  return segments.length === 0 ? '/' : `/${segments.join('/')}/`;
}

function logLevelValue(raw: string | undefined, errors: string[]): LogLevel {
  if (raw === undefined) return 'info';
  const lower = raw.toLowerCase();
  const level = lower === 'warning' ? 'warn' : lower;
  const known = LOG_LEVELS.find((l) => l === level);
  if (known === undefined) errors.push(`STREAMPULSE_LOG_LEVEL: "${raw}" is not one of ${LOG_LEVELS.join(', ')}`);
  return known ?? 'info';
}

/** The broker node checks the same way (lib/mqtt/broker-options.ts); here a mistake stops the start instead of a grey status. */
function mqttValue(url: string | undefined, username: string | undefined, password: string | undefined, errors: string[], warnings: string[]): string | undefined {
  const hasPassword = password !== undefined && password !== '';
  if (url === undefined) {
    if (username !== undefined || hasPassword) warnings.push('MQTT_USERNAME/MQTT_PASSWORD are set but MQTT_URL is not: publishing is off');
    return undefined;
  }
  try {
    const settings = parseBrokerSettings({ url, username, password: hasPassword ? password : undefined });
    return settings.url;
  } catch (err) {
    if (!(err instanceof BrokerOptionsError)) throw err;
    const variable = err.field === 'username' ? 'MQTT_USERNAME' : err.field === 'password' ? 'MQTT_PASSWORD' : 'MQTT_URL';
    errors.push(`${variable}: ${redactText(err.detail, [password])}`);
    return undefined;
  }
}

function isLoopback(host: string | undefined): boolean {
  return host !== undefined && (host === 'localhost' || host === '::1' || /^127\./.test(host));
}
