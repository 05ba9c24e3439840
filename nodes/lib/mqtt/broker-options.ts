/**
 * Broker settings of the health-publish node: checked field by field (a wrong value names its
 * field), then turned into mqtt.js client options. A password never appears in an error message,
 * even when the user pasted it into the URL.
 */
import { randomBytes } from 'node:crypto';
import type { IClientOptions } from 'mqtt';
import { redactText, redactUrl } from '../util/redact.js';

export type BrokerProtocol = 'mqtt' | 'mqtts' | 'ws' | 'wss';

/** Validated settings. `url` carries no credentials: they live in `username` / `password`. */
export interface BrokerSettings {
  url: string;
  protocol: BrokerProtocol;
  clientId?: string;
  username?: string;
  password?: string;
  /** PEM text of the CA(s) that signed the broker's certificate. */
  ca?: string;
  /** PEM client certificate and its (unencrypted) private key, for brokers that ask for one. */
  cert?: string;
  key?: string;
  /** false accepts any broker certificate (self-signed without a CA): the "insecure" option. */
  rejectUnauthorized: boolean;
  keepaliveSec: number;
}

export const DEFAULT_KEEPALIVE_SEC = 60;

/** A bad broker setting; `field` is the settings key at fault. The message is free of secrets. */
export class BrokerOptionsError extends Error {
  override readonly name = 'BrokerOptionsError';
  constructor(
    readonly field: string,
    /** What is wrong, without the field name. */
    readonly detail: string,
  ) {
    super(`broker ${field}: ${detail}`);
  }
}

const FIELDS = new Set(['url', 'clientId', 'username', 'password', 'ca', 'cert', 'key', 'rejectUnauthorized', 'keepaliveSec']);
const PROTOCOLS = new Set<string>(['mqtt', 'mqtts', 'ws', 'wss']);
const TLS_PROTOCOLS = new Set<string>(['mqtts', 'wss']);
/** MQTT strings are length-prefixed with 16 bits: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718016 */
const MQTT_STRING_MAX_BYTES = 65_535;

/**
 * Checks raw settings (a config node's fields, a test's object) and returns them normalised.
 * Empty strings count as "not set", as Node-RED editors send them for blank fields.
 * Credentials in the URL (`mqtt://user:pw@host`) are moved into username/password.
 */
export function parseBrokerSettings(input: unknown): BrokerSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new BrokerOptionsError('settings', 'must be an object');
  }
  const raw = input as Record<string, unknown>;
  const secrets = [typeof raw['password'] === 'string' ? raw['password'] : undefined];
  try {
    return parse(raw);
  } catch (err) {
    // Belt and braces: a message built from user text must not quote the password.
    if (err instanceof BrokerOptionsError) throw new BrokerOptionsError(err.field, redactText(err.detail, secrets));
    throw err;
  }
}

function parse(raw: Record<string, unknown>): BrokerSettings {
  for (const key of Object.keys(raw)) {
    if (!FIELDS.has(key)) throw new BrokerOptionsError(key, `unknown setting (known: ${[...FIELDS].join(', ')})`);
  }
  const rawUrl = optionalString(raw, 'url');
  if (rawUrl === undefined) throw new BrokerOptionsError('url', 'is required, e.g. mqtt://192.168.1.10:1883');
  let url: URL;
  try {
    url = new URL(rawUrl.trim());
  } catch {
    throw new BrokerOptionsError('url', `"${redactUrl(rawUrl)}" is not a URL; use mqtt://host:1883, mqtts://, ws:// or wss://`);
  }
  const protocol = url.protocol.replace(/:$/, '');
  if (!PROTOCOLS.has(protocol)) {
    throw new BrokerOptionsError('url', `scheme "${protocol}:" is not supported; use mqtt://, mqtts://, ws:// or wss://`);
  }
  if (url.hostname === '') throw new BrokerOptionsError('url', `"${redactUrl(rawUrl)}" has no host`);

  let username = optionalString(raw, 'username');
  let password = optionalString(raw, 'password', { keepSpaces: true });
  if (url.username !== '' || url.password !== '') {
    if (username !== undefined || password !== undefined) {
      throw new BrokerOptionsError('url', 'has credentials and the username/password fields are set too; keep them in the fields only');
    }
    username = url.username === '' ? undefined : decodeURIComponent(url.username);
    password = url.password === '' ? undefined : decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
  }
  if (password !== undefined && username === undefined) {
    // MQTT 3.1.1 forbids a password without a user name: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc385349230
    throw new BrokerOptionsError('username', 'is required when a password is set');
  }
  checkMqttString('username', username);
  checkMqttString('password', password);

  const clientId = optionalString(raw, 'clientId');
  checkMqttString('clientId', clientId);
  if (clientId !== undefined && (clientId.includes('\u0000') || /[#+]/.test(clientId))) throw new BrokerOptionsError('clientId', 'must not contain NUL, "#" or "+"');

  const ca = pem(raw, 'ca', 'CERTIFICATE');
  const cert = pem(raw, 'cert', 'CERTIFICATE');
  const key = pem(raw, 'key', 'PRIVATE KEY');
  if ((cert === undefined) !== (key === undefined)) {
    throw new BrokerOptionsError(cert === undefined ? 'cert' : 'key', 'a client certificate needs both cert and key');
  }
  const secure = TLS_PROTOCOLS.has(protocol);
  if (!secure) {
    const tlsField = ca !== undefined ? 'ca' : cert !== undefined ? 'cert' : undefined;
    if (tlsField !== undefined) throw new BrokerOptionsError(tlsField, `needs a TLS URL (mqtts:// or wss://), not ${protocol}://`);
  }

  const rejectUnauthorized = raw['rejectUnauthorized'] ?? true;
  if (typeof rejectUnauthorized !== 'boolean') throw new BrokerOptionsError('rejectUnauthorized', 'must be true or false');
  const keepaliveSec = keepalive(raw['keepaliveSec']);

  return {
    url: url.toString(),
    protocol: protocol as BrokerProtocol,
    ...(clientId !== undefined && { clientId }),
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    rejectUnauthorized,
    keepaliveSec,
  };
}

function optionalString(raw: Record<string, unknown>, field: string, opts: { keepSpaces?: boolean } = {}): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  // Never echo the value: it may be a password or a private key.
  if (typeof value !== 'string') throw new BrokerOptionsError(field, `must be a string, not ${typeof value}`);
  const text = opts.keepSpaces === true ? value : value.trim();
  return text === '' ? undefined : text;
}

function checkMqttString(field: string, value: string | undefined): void {
  if (value !== undefined && Buffer.byteLength(value, 'utf8') > MQTT_STRING_MAX_BYTES) {
    throw new BrokerOptionsError(field, `is longer than ${MQTT_STRING_MAX_BYTES} bytes`);
  }
}

function pem(raw: Record<string, unknown>, field: string, label: 'CERTIFICATE' | 'PRIVATE KEY'): string | undefined {
  const text = optionalString(raw, field);
  if (text === undefined) return undefined;
  if (!new RegExp(`-----BEGIN [A-Z0-9 ]*${label}-----`).test(text)) {
    throw new BrokerOptionsError(field, `must be PEM text starting with "-----BEGIN ...${label}-----" (paste the file's content, not its path)`);
  }
  if (label === 'PRIVATE KEY' && /ENCRYPTED|Proc-Type: 4,ENCRYPTED/.test(text)) {
    throw new BrokerOptionsError(field, 'is encrypted; passphrases are not supported, store the key unencrypted');
  }
  return text;
}

function keepalive(value: unknown): number {
  if (value === undefined || value === null || value === '') return DEFAULT_KEEPALIVE_SEC;
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  // The keep-alive is a 16-bit number of seconds; 0 turns it off.
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65_535) {
    throw new BrokerOptionsError('keepaliveSec', 'must be a whole number of seconds from 0 to 65535');
  }
  return n;
}

/** What may be logged or shown about the broker: the URL with the user name, never the password. */
export function describeBroker(settings: BrokerSettings): string {
  if (settings.username === undefined) return settings.url;
  const url = new URL(settings.url);
  url.username = encodeURIComponent(settings.username);
  return url.toString();
}

/**
 * mqtt.js options for these settings. Reconnection, the will and timeouts belong to the link,
 * which adds them; `clientId` defaults to a random `streampulse_<hex>` (a fixed default would
 * make two installations kick each other off the broker).
 */
export function toClientOptions(settings: BrokerSettings): IClientOptions {
  return {
    clientId: settings.clientId ?? `streampulse_${randomBytes(4).toString('hex')}`,
    keepalive: settings.keepaliveSec,
    clean: true,
    rejectUnauthorized: settings.rejectUnauthorized,
    ...(settings.username !== undefined && { username: settings.username }),
    ...(settings.password !== undefined && { password: settings.password }),
    ...(settings.ca !== undefined && { ca: settings.ca }),
    ...(settings.cert !== undefined && { cert: settings.cert }),
    ...(settings.key !== undefined && { key: settings.key }),
  };
}
