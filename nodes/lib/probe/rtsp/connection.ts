/**
 * One RTSP control connection (TCP, or TLS for rtsps): sends requests with CSeq, matches each
 * response to its request by CSeq (servers may answer out of order or interleave RTP before the
 * answer), answers the server's own keep-alive requests, and hands interleaved frames to a
 * listener. Every wait is bounded by the caller's phase timeout and the probe's abort signal.
 */
import net from 'node:net';
import tls from 'node:tls';
import { classifyNetworkError, ProbeError } from '../../util/errors.js';
import { within } from '../../util/deadline.js';
import { header, RtspWireParser } from './wire.js';
import type { RtspMessage } from './wire.js';

const USER_AGENT = 'StreamPulse';
/** Ends a connection we closed ourselves; nobody waits on it then, so one shared instance will do. */
const CLOSED_BY_US = new ProbeError('protocol_error', 'connection closed');

interface Pending {
  cseq: number;
  method: string;
  resolve: (msg: RtspMessage) => void;
  reject: (err: unknown) => void;
}

export interface ConnectOptions {
  host: string;
  port: number;
  secure: boolean;
  tlsVerify: boolean;
  timeoutMs: number;
  signal: AbortSignal;
}

export class RtspConnection {
  private cseq = 0;
  private readonly pending: Pending[] = [];
  private readonly parser: RtspWireParser;
  private failure: Error | undefined;
  private rejectFailed: (err: Error) => void = () => {};
  /** Rejects with whatever ends the connection (reset, close, garbage); never resolves. */
  readonly whenFailed: Promise<never>;
  /** True once the server sent any byte (a reset before that means "refused"). */
  answered = false;
  onFrame: (channel: number, payload: Buffer) => void = () => {};
  /** Called when the server sends its first byte. */
  onFirstByte: () => void = () => {};

  private constructor(
    private readonly socket: net.Socket,
    readonly where: string,
  ) {
    this.whenFailed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    // Nobody may be listening when the connection ends after the probe; that is not an error.
    this.whenFailed.catch(() => {});
    this.parser = new RtspWireParser({
      message: (msg) => this.onMessage(msg),
      frame: (channel, payload) => this.onFrame(channel, payload),
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(classifyNetworkError(err, this.where, this.answered)));
    socket.on('close', () => this.fail(this.closedError()));
  }

  static async open(opts: ConnectOptions): Promise<RtspConnection> {
    const where = `${opts.host}:${opts.port}`;
    const socket = opts.secure
      ? tls.connect({
          host: opts.host,
          port: opts.port,
          rejectUnauthorized: opts.tlsVerify,
          // SNI only for names; an IP literal as servername is not allowed (RFC 6066 §3).
          ...(net.isIP(opts.host) === 0 ? { servername: opts.host } : {}),
        })
      : net.connect({ host: opts.host, port: opts.port });
    socket.setNoDelay(true);
    let tcpUp = false;
    socket.once('connect', () => (tcpUp = true));
    // Once TCP is up, any failure before the handshake completes is a TLS problem.
    const failure = (err?: Error): ProbeError =>
      opts.secure && tcpUp
        ? new ProbeError('tls', `TLS handshake with ${where} failed (${errorText(err)})`, { cause: err })
        : err
          ? classifyNetworkError(err, where, false)
          : new ProbeError('refused', `${where} closed the connection while connecting`);
    const ready = new Promise<void>((resolve, reject) => {
      socket.once(opts.secure ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', (err: Error) => reject(failure(err)));
      socket.once('close', () => reject(failure()));
    });
    try {
      await within(ready, opts.timeoutMs, () => new ProbeError('timeout', `no connection to ${where} within ${opts.timeoutMs} ms`), opts.signal);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    socket.removeAllListeners('error');
    socket.removeAllListeners('close');
    return new RtspConnection(socket, where);
  }

  /** Sends a request and waits for its response (any status) for at most `timeoutMs`. */
  async request(method: string, uri: string, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<RtspMessage> {
    if (this.failure !== undefined) throw this.failure;
    const cseq = ++this.cseq;
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${cseq}`, `User-Agent: ${USER_AGENT}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    const answer = new Promise<RtspMessage>((resolve, reject) => {
      this.pending.push({ cseq, method, resolve, reject });
    });
    this.socket.write(lines.join('\r\n') + '\r\n\r\n');
    try {
      return await within(answer, timeoutMs, () => new ProbeError('timeout', `${this.where} did not answer ${method} within ${timeoutMs} ms`), signal);
    } finally {
      this.drop(cseq);
    }
  }

  /** Fire-and-forget request (TEARDOWN on the way out); resolves when answered or after `graceMs`. */
  async farewell(method: string, uri: string, headers: Record<string, string>, graceMs: number): Promise<void> {
    if (this.failure !== undefined || this.socket.destroyed) return;
    try {
      await this.request(method, uri, headers, graceMs, AbortSignal.timeout(Math.ceil(graceMs) + 50));
    } catch {
      // The camera may close before answering TEARDOWN; either way the session is over.
    }
  }

  close(): void {
    this.fail(CLOSED_BY_US);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (!this.answered) {
      this.answered = true;
      this.onFirstByte();
    }
    try {
      this.parser.push(chunk);
    } catch (err) {
      this.fail(err instanceof Error ? err : new ProbeError('protocol_error', String(err)));
      this.socket.destroy();
    }
  }

  private onMessage(msg: RtspMessage): void {
    if (msg.method !== undefined) {
      this.answerServerRequest(msg);
      return;
    }
    const cseq = Number(header(msg.headers, 'cseq'));
    // A response without a usable CSeq (seen on cheap cameras) answers the oldest request.
    const match = this.pending.find((p) => p.cseq === cseq) ?? (Number.isNaN(cseq) ? this.pending[0] : undefined);
    if (match) match.resolve(msg);
  }

  /** Servers may ping us (GET_PARAMETER/OPTIONS) or announce things; answer so they keep the session. */
  private answerServerRequest(msg: RtspMessage): void {
    const cseq = header(msg.headers, 'cseq') ?? '0';
    const ok = msg.method === 'GET_PARAMETER' || msg.method === 'OPTIONS' || msg.method === 'SET_PARAMETER';
    const status = ok ? '200 OK' : '501 Not Implemented';
    if (!this.socket.destroyed) this.socket.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\nUser-Agent: ${USER_AGENT}\r\n\r\n`);
  }

  private drop(cseq: number): void {
    const index = this.pending.findIndex((p) => p.cseq === cseq);
    if (index >= 0) this.pending.splice(index, 1);
  }

  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.rejectFailed(err);
    for (const p of this.pending.splice(0)) p.reject(err);
  }

  private closedError(): ProbeError {
    return this.answered
      ? new ProbeError('protocol_error', `${this.where} closed the connection mid-exchange`)
      : new ProbeError('refused', `${this.where} closed the connection before answering (client limit reached?)`);
  }
}

function errorText(err: Error | undefined): string {
  if (!err) return 'connection closed';
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.message;
}
