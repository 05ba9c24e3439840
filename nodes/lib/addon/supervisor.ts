/**
 * The one Supervisor call the app makes: which MQTT broker to use. The app declares
 * `services: [mqtt:want]` in config.yaml; the Supervisor then answers GET /services/mqtt with the
 * broker another app (usually Mosquitto) provides, or 400 "Service not enabled" when none does.
 * https://developers.home-assistant.io/docs/api/supervisor/endpoints#service
 * https://developers.home-assistant.io/docs/apps/communication#services-api
 */

export const SUPERVISOR_URL = 'http://supervisor';

export interface MqttService {
  host: string;
  port: number;
  ssl: boolean;
  username?: string;
  password?: string;
  /** MQTT protocol version the provider speaks ("3.1.1"). */
  protocol?: string;
}

/**
 * `unauthorized`: the token was refused (401/403); `timeout`: no answer in time; `unreachable`:
 * no connection (not running under the Supervisor?); `server_error`: 5xx; `bad_response`: an
 * answer that is not the documented shape.
 */
export type SupervisorErrorKind = 'unauthorized' | 'timeout' | 'unreachable' | 'server_error' | 'bad_response';

/** A failed Supervisor call. The message never contains the token or a password. */
export class SupervisorError extends Error {
  override readonly name = 'SupervisorError';
  constructor(
    readonly kind: SupervisorErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Worth another try a moment later (the Supervisor may still be busy at boot). */
export function isTransient(err: unknown): boolean {
  return err instanceof SupervisorError && (err.kind === 'timeout' || err.kind === 'unreachable' || err.kind === 'server_error');
}

export interface SupervisorRequest {
  /** SUPERVISOR_TOKEN from the app's environment. */
  token: string;
  /** Overall deadline: connect, headers and body. */
  timeoutMs: number;
  baseUrl?: string;
  fetchImpl?: typeof fetch;
  /** Aborts the call early (SIGTERM while starting). */
  signal?: AbortSignal;
}

/** The Supervisor's answers are small; anything bigger is not the Supervisor. */
const MAX_BODY_BYTES = 64 * 1024;

/** The broker to use, or undefined when no app provides the MQTT service. */
export async function fetchMqttService(request: SupervisorRequest): Promise<MqttService | undefined> {
  const base = (request.baseUrl ?? SUPERVISOR_URL).replace(/\/+$/, '');
  const signals = [AbortSignal.timeout(request.timeoutMs)];
  if (request.signal !== undefined) signals.push(request.signal);
  const signal = AbortSignal.any(signals);
  const doFetch = request.fetchImpl ?? fetch;
  let status: number;
  let body: string;
  try {
    const response = await doFetch(`${base}/services/mqtt`, {
      headers: { Authorization: `Bearer ${request.token}`, Accept: 'application/json' },
      signal,
    });
    status = response.status;
    body = await readCapped(response);
  } catch (err) {
    throw classifyFailure(err, signal, request.timeoutMs);
  }
  if (status === 200) return parseService(body);
  // 400 "Service not enabled": no app provides MQTT. 404: this Supervisor knows no such service.
  if (status === 400 || status === 404) return undefined;
  if (status === 401 || status === 403) {
    throw new SupervisorError('unauthorized', `the Supervisor refused the request (HTTP ${status}${supervisorMessage(body)})`);
  }
  if (status >= 500) throw new SupervisorError('server_error', `the Supervisor failed (HTTP ${status}${supervisorMessage(body)})`);
  throw new SupervisorError('bad_response', `unexpected HTTP ${status} from the Supervisor`);
}

async function readCapped(response: Response): Promise<string> {
  if (response.body === null) return '';
  // undici types the body loosely; the bytes of a fetch body are Uint8Array chunks.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) throw new SupervisorError('bad_response', `the Supervisor's answer is larger than ${MAX_BODY_BYTES} bytes`);
      chunks.push(value);
    }
  } finally {
    // Releases the connection on every path (an oversized or aborted body included).
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function classifyFailure(err: unknown, signal: AbortSignal, timeoutMs: number): SupervisorError {
  if (err instanceof SupervisorError) return err;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
    return new SupervisorError(timedOut ? 'timeout' : 'unreachable', timedOut ? `the Supervisor did not answer within ${timeoutMs} ms` : 'the request was cancelled', {
      cause: err,
    });
  }
  const code = errorCode(err) ?? errorCode((err as { cause?: unknown } | null)?.cause);
  return new SupervisorError('unreachable', `cannot reach the Supervisor${code === undefined ? '' : ` (${code})`}`, { cause: err });
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The Supervisor's own error text (`{"result":"error","message":…}`), short and on one line. */
function supervisorMessage(body: string): string {
  const parsed = parseJson(body);
  const message = isRecord(parsed) && typeof parsed.message === 'string' ? parsed.message : '';
  const clean = message.replace(/\s+/g, ' ').trim().slice(0, 200);
  return clean === '' ? '' : `: ${clean}`;
}

/** `{"result":"ok","data":{host, port, ssl, username, password, protocol}}`; port may be a string. */
function parseService(body: string): MqttService {
  const parsed = parseJson(body);
  const data = isRecord(parsed) && isRecord(parsed.data) ? parsed.data : undefined;
  if (data === undefined || (isRecord(parsed) && parsed.result !== undefined && parsed.result !== 'ok')) {
    throw new SupervisorError('bad_response', 'the Supervisor answered with something other than a service description');
  }
  const host = data.host;
  if (typeof host !== 'string' || host.trim() === '') throw new SupervisorError('bad_response', 'the MQTT service has no host');
  const port = typeof data.port === 'string' && /^\d+$/.test(data.port) ? Number(data.port) : data.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SupervisorError('bad_response', 'the MQTT service has no valid port');
  }
  const service: MqttService = { host: host.trim(), port, ssl: data.ssl === true || data.ssl === 'true' };
  for (const key of ['username', 'password', 'protocol'] as const) {
    const value = data[key];
    if (typeof value === 'string' && value !== '') service[key] = value;
  }
  return service;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
