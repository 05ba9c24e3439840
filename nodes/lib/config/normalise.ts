/**
 * From a schema-valid file to the StreamsConfig the rest of the system uses: defaults, ids,
 * `${ENV}` credentials, and the checks a JSON Schema cannot express (unique ids and names, real
 * URLs, known time zones). Never puts a password or a URL into a message.
 */
import type { Issue } from './issues.js';
import { idFromName } from './slug.js';
import type { Env, RawStream, RawStreamsFile, StreamConfig, StreamsConfig } from './types.js';

export const DEFAULT_HEARTBEAT_SECONDS = 15;
/** Upper bound of the default timeout: a camera that needs more than 10 s to show video is ill. */
export const DEFAULT_MAX_TIMEOUT_SECONDS = 10;

export interface Normalised {
  config: StreamsConfig;
  errors: Issue[];
  warnings: Issue[];
}

export function normaliseFile(raw: RawStreamsFile, env: Env): Normalised {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const heartbeatSeconds = raw.heartbeat_seconds ?? DEFAULT_HEARTBEAT_SECONDS;
  let timezone: string | undefined;
  if (raw.timezone !== undefined) {
    timezone = canonicalTimeZone(raw.timezone.trim());
    if (timezone === undefined) errors.push({ at: ['timezone'], message: 'is not an IANA time zone name (e.g. Europe/Berlin)' });
  }
  const streams = raw.streams.map((s, i) => normaliseStream(s, i, heartbeatSeconds, env, errors, warnings));
  errors.push(...findDuplicates(raw.streams, streams));
  const config: StreamsConfig = { heartbeatSeconds, streams };
  if (timezone !== undefined) config.timezone = timezone;
  return { config, errors, warnings };
}

function normaliseStream(
  raw: RawStream,
  index: number,
  heartbeatSeconds: number,
  env: Env,
  errors: Issue[],
  warnings: Issue[],
): StreamConfig {
  const at = (key: string): Issue['at'] => ['streams', index, key];
  const name = raw.name.trim();
  const url = raw.url.trim();
  let id = raw.id;
  if (id === undefined) {
    const derived = idFromName(name);
    id = derived.id;
    if (derived.hashed) {
      warnings.push({ at: at('name'), message: `has no Latin letters or digits; its id is "${id}" — set an explicit id` });
    }
  }
  const intervalSeconds = raw.interval ?? heartbeatSeconds;
  const timeoutSeconds = raw.timeout ?? Math.min(DEFAULT_MAX_TIMEOUT_SECONDS, intervalSeconds);
  if (raw.timeout !== undefined && raw.timeout > intervalSeconds) {
    warnings.push({
      at: at('timeout'),
      message: `${raw.timeout} s is longer than the interval (${intervalSeconds} s); a slow camera will be probed back to back`,
    });
  }
  checkUrl(url, raw, at, errors, warnings);
  const stream: StreamConfig = {
    id,
    name,
    url,
    intervalMs: Math.round(intervalSeconds * 1000),
    timeoutMs: Math.round(timeoutSeconds * 1000),
    verify: raw.verify ?? 'auto',
    enabled: raw.enabled ?? true,
    transport: raw.transport ?? 'auto',
    kind: raw.kind ?? 'auto',
    tags: [...new Set((raw.tags ?? []).map((t) => t.trim()).filter((t) => t !== ''))],
    tlsVerify: raw.tls_verify ?? false,
  };
  const username = resolveSecret(raw.username, at('username'), env, errors);
  if (username !== undefined && username !== '') stream.username = username;
  const password = resolveSecret(raw.password, at('password'), env, errors);
  if (password !== undefined) stream.password = password;
  const area = raw.area?.trim();
  if (area !== undefined && area !== '') stream.area = area;
  return stream;
}

function checkUrl(url: string, raw: RawStream, at: (key: string) => Issue['at'], errors: Issue[], warnings: Issue[]): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    errors.push({ at: at('url'), message: 'is not a valid URL' });
    return;
  }
  if (parsed.hostname === '') {
    errors.push({ at: at('url'), message: 'has no host' });
    return;
  }
  const isRtsp = parsed.protocol === 'rtsp:' || parsed.protocol === 'rtsps:';
  if (parsed.password !== '') {
    // Credentials in the URL work, but they travel into every copy of the URL a user makes.
    const fields = raw.username !== undefined || raw.password !== undefined ? '; the username/password fields win' : '';
    warnings.push({
      at: at('url'),
      message: `contains a password; prefer the username and password fields (password: \${ENV_VAR} keeps it out of the file)${fields}`,
    });
  }
  if (raw.kind !== undefined && raw.kind !== 'auto' && isRtsp) {
    warnings.push({ at: at('kind'), message: 'only applies to http:// and https:// URLs; ignored for RTSP' });
  }
  if (raw.transport !== undefined && raw.transport !== 'auto' && !isRtsp) {
    warnings.push({ at: at('transport'), message: 'only applies to rtsp:// and rtsps:// URLs; ignored for HTTP' });
  }
}

const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const ESCAPED_REFERENCE = /^\$\$\{.*\}$/s;

/**
 * `${NAME}` (the whole value) reads the variable NAME; `$${...}` is a literal `${...}`. The
 * message names the variable, never a value.
 */
function resolveSecret(value: string | undefined, at: Issue['at'], env: Env, errors: Issue[]): string | undefined {
  if (value === undefined) return undefined;
  if (ESCAPED_REFERENCE.test(value)) return value.slice(1);
  const ref = ENV_REFERENCE.exec(value);
  if (ref === null) return value;
  const variable = ref[1] ?? '';
  const resolved = env[variable];
  if (resolved === undefined) {
    errors.push({ at, message: `environment variable ${variable} is not set` });
    return undefined;
  }
  return resolved;
}

/** Both entries of every clash are named, so the user sees which two rows to reconcile. */
function findDuplicates(raws: readonly RawStream[], streams: readonly StreamConfig[]): Issue[] {
  const issues: Issue[] = [];
  const byName = new Map<string, number>();
  const byId = new Map<string, number>();
  streams.forEach((stream, i) => {
    const nameKey = stream.name.normalize('NFC').toLowerCase();
    const sameName = byName.get(nameKey);
    if (sameName === undefined) byName.set(nameKey, i);
    else {
      const first = streams[sameName]?.name ?? stream.name;
      const caseNote = first === stream.name ? '' : ` (as "${stream.name}"; names are compared ignoring case)`;
      issues.push({
        at: ['streams', i, 'name'],
        field: null,
        message: `streams[${sameName}] and streams[${i}] both have the name "${first}"${caseNote}`,
      });
    }
    const sameId = byId.get(stream.id);
    if (sameId === undefined) {
      byId.set(stream.id, i);
      return;
    }
    const explicitHere = raws[i]?.id !== undefined;
    const explicitThere = raws[sameId]?.id !== undefined;
    // Equal names slug to equal ids: the name clash above already says it.
    if (sameName === sameId && !explicitHere && !explicitThere) return;
    const hint = explicitHere && explicitThere ? '' : ' (an id derived from the name; set an explicit id on one of them)';
    issues.push({
      at: ['streams', i, explicitHere ? 'id' : 'name'],
      field: null,
      message: `streams[${sameId}] and streams[${i}] both have id "${stream.id}"${hint}`,
    });
  });
  return issues;
}

/** `europe/berlin` → `Europe/Berlin`; undefined for a name the ICU database does not know. */
function canonicalTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
