/**
 * HTTP(S) GETs for the camera probes, on undici with one Agent per probe (one connection, closed
 * when the probe ends). Honest status handling: 401 is answered once with the camera's own
 * challenge (RFC 7235 §3.1, https://www.rfc-editor.org/rfc/rfc7235#section-3.1), what is still
 * refused is `auth_failed`; one redirect is followed. The probe deadline and the caller's
 * AbortSignal abort whatever is in flight: connect, headers or body.
 */
import { Agent, buildConnector, request } from 'undici';
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Authenticator, describeChallenges, parseChallenges } from './auth.js';
import type { ProbeContext } from './types.js';
import { abortReason } from '../util/deadline.js';
import { ProbeError, classifyNetworkError } from '../util/errors.js';

const USER_AGENT = 'StreamPulse/0.1 (camera health probe)';
/** Redirects followed per GET; cameras redirect once (to a session URL or to https). */
const MAX_REDIRECTS = 1;
/** Largest 401/3xx body we read to keep the connection for the next request. */
const DISCARD_LIMIT_BYTES = 64 * 1024;

/** Thrown into undici when the probe deadline passes, so errors can tell it from other aborts. */
class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered (after a redirect). Credential-free. */
  url: URL;
  body: BodyReader;
}

/** `multipart/x-mixed-replace; boundary="x"` → type lower-cased, parameter names lower-cased. */
export function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  const [type = '', ...rest] = (value ?? '').split(';');
  const params: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[part.slice(0, eq).trim().toLowerCase()] = v;
  }
  return { type: type.trim().toLowerCase(), params };
}

/** First value of a response header. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads a response body chunk by chunk, with push-back, mapping every failure to a ProbeError. */
export class BodyReader {
  private readonly iterator: AsyncIterator<unknown>;
  private pending: Buffer[] = [];
  /** Bytes taken from the network so far. */
  bytesRead = 0;

  constructor(
    private readonly stream: Readable,
    private readonly fail: (err: unknown) => unknown,
  ) {
    // A body destroyed by an abort emits 'error'; without a listener that would crash the process.
    stream.on('error', () => undefined);
    this.iterator = stream[Symbol.asyncIterator]();
  }

  /** The next chunk, or undefined at the end of the body. */
  async read(): Promise<Buffer | undefined> {
    const held = this.pending.shift();
    if (held) return held;
    let next: IteratorResult<unknown>;
    try {
      next = await this.iterator.next();
    } catch (err) {
      throw this.fail(err);
    }
    if (next.done) return undefined;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(String(next.value));
    this.bytesRead += chunk.length;
    return chunk;
  }

  /** Gives bytes back to be read again first. */
  unshift(chunk: Buffer): void {
    if (chunk.length > 0) this.pending.unshift(chunk);
  }

  /** Reads until `max` bytes or the end; `complete` tells whether the body ended within `max`. */
  async readUpTo(max: number): Promise<{ data: Buffer; complete: boolean }> {
    const parts: Buffer[] = [];
    let size = 0;
    while (size < max) {
      const chunk = await this.read();
      if (!chunk) return { data: Buffer.concat(parts), complete: true };
      if (size + chunk.length > max) {
        this.unshift(chunk.subarray(max - size));
        parts.push(chunk.subarray(0, max - size));
        size = max;
      } else {
        parts.push(chunk);
        size += chunk.length;
      }
    }
    const more = await this.read();
    if (more) this.unshift(more);
    return { data: Buffer.concat(parts), complete: more === undefined };
  }

  /** Stops the transfer (closes the connection if the body was not finished). Idempotent. */
  destroy(): void {
    this.pending = [];
    if (!this.stream.destroyed) this.stream.destroy();
  }
}

/**
 * One probe's HTTP client: a single-connection Agent, the deadline timer and the authenticator
 * learned from the first 401 (reused for the HLS playlist and segment of the same camera).
 */
export class HttpClient {
  private readonly agent: Agent;
  private readonly deadlineAbort = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly signal: AbortSignal;
  private auth: { host: string; authenticator: Authenticator } | undefined;
  private connected = false;

  constructor(private readonly ctx: ProbeContext) {
    // undici wants whole milliseconds; the Deadline runs on performance.now() fractions.
    const remaining = Math.max(1, Math.ceil(ctx.deadline.remaining()));
    const base = buildConnector({ rejectUnauthorized: ctx.tlsVerify, timeout: remaining });
    // undici's connector calls back on 'connect' (http) or 'secureConnect' (https), so this is
    // TCP plus TLS handshake time.
    const connect: buildConnector.connector = (opts, callback) => {
      base(opts, (...args) => {
        if (args[0] === null) {
          this.connected = true;
          ctx.mark('connectMs');
        }
        callback(...args);
      });
    };
    // undici's own timeouts are a safety net a little past the deadline; the deadline abort
    // below fires first and says which phase was slow.
    const safety = remaining + 1000;
    this.agent = new Agent({ connect, connections: 1, pipelining: 1, headersTimeout: safety, bodyTimeout: safety });
    this.timer = setTimeout(() => this.deadlineAbort.abort(new DeadlineReached('probe deadline reached')), remaining);
    this.signal = AbortSignal.any([ctx.signal, this.deadlineAbort.signal]);
  }

  /** Releases the timer and every connection. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.agent.destroy().catch(() => undefined);
  }

  /**
   * GETs `url`, checks the status honestly and runs `use` on the response; the body is destroyed
   * when `use` settles, whatever happens.
   */
  async get<T>(url: URL, use: (res: HttpResponse) => Promise<T>, accept = '*/*'): Promise<T> {
    const res = await this.fetch(url, accept);
    try {
      return await use(res);
    } finally {
      res.body.destroy();
    }
  }

  private async fetch(first: URL, accept: string): Promise<HttpResponse> {
    let url = first;
    let redirects = 0;
    let answeredChallenge = false;
    for (;;) {
      const raw = await this.send(url, accept);
      const status = raw.statusCode;
      const body = new BodyReader(raw.body, (err) => this.failure(err, url, true));
      const location = headerValue(raw.headers, 'location');
      if (status >= 300 && status < 400 && status !== 304 && location) {
        await this.discard(raw, body);
        if (redirects >= MAX_REDIRECTS) throw new ProbeError('protocol_error', `${url.host} redirected more than ${MAX_REDIRECTS} time(s)`);
        url = this.redirectTarget(url, location);
        redirects++;
        continue;
      }
      if (status === 401 && !answeredChallenge) {
        await this.discard(raw, body);
        this.answer(url, raw.headers);
        answeredChallenge = true;
        continue;
      }
      if (status < 200 || status >= 300) {
        body.destroy();
        throw this.statusError(url, status, raw.headers);
      }
      return { status, headers: raw.headers, url, body };
    }
  }

  /**
   * Reads away a small 401/3xx body so the same connection carries the retry (one connection per
   * probe; some cameras also tie a Digest nonce to its connection); a large one is cut off.
   */
  private async discard(raw: Dispatcher.ResponseData, body: BodyReader): Promise<void> {
    await raw.body.dump({ limit: DISCARD_LIMIT_BYTES, signal: this.signal }).catch(() => undefined);
    body.destroy();
  }

  private async send(url: URL, accept: string): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept };
    const target = `${url.pathname}${url.search}`;
    if (this.auth && this.auth.host === url.hostname) headers['authorization'] = this.auth.authenticator.authorization('GET', target);
    let raw: Dispatcher.ResponseData;
    try {
      raw = await request(url, { dispatcher: this.agent, method: 'GET', headers, signal: this.signal });
    } catch (err) {
      throw this.failure(err, url, false);
    }
    this.ctx.mark('firstResponseMs');
    this.recordClockSkew(raw.headers);
    return raw;
  }

  /** Builds the authenticator from a 401, or says honestly why we cannot answer it. */
  private answer(url: URL, headers: IncomingHttpHeaders): void {
    const raw = headers['www-authenticate'];
    const challenges = parseChallenges(raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]);
    const offered = describeChallenges(challenges);
    const creds = this.ctx.credentials;
    if (!creds) throw new ProbeError('auth_failed', `${url.host} requires authentication (${offered}) and no credentials were given`);
    if (!Authenticator.canAnswer(challenges)) throw new ProbeError('auth_failed', `${url.host} offers ${offered}, which StreamPulse cannot answer`);
    // Credentials go only to the host they were given for, never to a host a redirect named.
    if (url.hostname !== this.ctx.url.hostname) {
      throw new ProbeError('auth_failed', `${url.host} (reached by a redirect) requires authentication (${offered}); credentials are only sent to ${this.ctx.url.host}`);
    }
    this.auth = { host: url.hostname, authenticator: new Authenticator(creds, challenges) };
  }

  private statusError(url: URL, status: number, headers: IncomingHttpHeaders): ProbeError {
    const what = `${url.host} answered HTTP ${status} for ${url.pathname}`;
    if (status === 401) {
      const raw = headers['www-authenticate'];
      const offered = describeChallenges(parseChallenges(raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]));
      const user = this.ctx.credentials?.username ?? '';
      return new ProbeError('auth_failed', `${what}: credentials of user "${user}" rejected (offers ${offered})`);
    }
    if (status === 403) return new ProbeError('auth_failed', `${what} (forbidden: the user may not view this stream)`);
    if (status === 404 || status === 410) return new ProbeError('not_found', what);
    if (status >= 500) return new ProbeError('server_error', what);
    return new ProbeError('protocol_error', `${what} (unexpected status)`);
  }

  private redirectTarget(from: URL, location: string): URL {
    let to: URL;
    try {
      to = new URL(location, from);
    } catch {
      throw new ProbeError('protocol_error', `${from.host} redirected to an invalid Location`);
    }
    if (to.protocol !== 'http:' && to.protocol !== 'https:') {
      throw new ProbeError('protocol_error', `${from.host} redirected to a ${to.protocol} URL`);
    }
    // Never carry userinfo a camera put into Location into requests or messages.
    to.username = '';
    to.password = '';
    return to;
  }

  /** Camera `Date:` minus our clock. Date has whole seconds, so centre it in its second. */
  private recordClockSkew(headers: IncomingHttpHeaders): void {
    const date = headerValue(headers, 'date');
    if (date === undefined || this.ctx.facts.clockSkewMs !== undefined) return;
    const camera = Date.parse(date);
    if (Number.isNaN(camera)) return;
    this.ctx.facts.clockSkewMs = Math.round(camera + 500 - this.ctx.now());
  }

  /** Maps an undici failure to the probe's honest error (or the caller's abort reason). */
  private failure(err: unknown, url: URL, answered: boolean): unknown {
    if (this.ctx.signal.aborted) return abortReason(this.ctx.signal);
    if (err instanceof ProbeError) return err;
    if (this.deadlineAbort.signal.aborted) {
      const ms = this.ctx.deadline.totalMs;
      if (answered) return new ProbeError('timeout', `${url.host}: the response body did not complete within ${ms} ms`);
      if (this.connected) return new ProbeError('timeout', `${url.host} accepted the connection but sent no response headers within ${ms} ms`);
      return new ProbeError('timeout', `${url.host}: no connection within ${ms} ms`);
    }
    return classifyNetworkError(err, url.host, answered);
  }
}

/** Runs `work` with a fresh HttpClient and always closes it. */
export async function withHttpClient<T>(ctx: ProbeContext, work: (client: HttpClient) => Promise<T>): Promise<T> {
  const client = new HttpClient(ctx);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
