/**
 * One RTSP control connection (TCP, or TLS for rtsps): sends requests with CSeq, matches each
 * response to its request by CSeq (servers may answer out of order or interleave RTP before the
 * answer), answers the server's own keep-alive requests, and hands interleaved frames to a
 * listener. Every wait is bounded by the caller's phase timeout and the probe's abort signal.
 */
import net from 'node:net';
import tls from 'node:tls';
import { classifyNetworkError, ProbeError } from '../../util/errors.js';
import { abortReason } from '../../util/deadline.js';
import { header, RtspWireParser } from './wire.js';
import type { RtspMessage } from './wire.js';

const USER_AGENT = 'StreamPulse';
/** Ends a connection we closed ourselves; nobody waits on it then, so one shared instance will do. */
const CLOSED_BY_US = new ProbeError('protocol_error', 'connection closed');

/**
 * One read buffer for every plain-TCP connection (the `onread` option of net.connect,
 * https://nodejs.org/api/net.html#socketconnectoptions-connectlistener): Node reads into it and
 * calls back synchronously, so the bytes are parsed, and whatever is kept copied, before any other
 * read. This skips the readable-stream machinery and a fresh allocation per read.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** Plain-TCP reads into READ_BUFFER, handed to the connection once it exists. */
class BorrowedReads {
  private listener: ((chunk: Buffer) => void) | undefined;
  /** Bytes that came before the connection attached (copies: the buffer is reused). */
  private readonly early: Buffer[] = [];
  readonly onread = {
    buffer: READ_BUFFER,
    callback: (bytes: number): boolean => {
      const chunk = READ_BUFFER.subarray(0, bytes);
      if (this.listener) this.listener(chunk);
      else this.early.push(Buffer.from(chunk));
      return true;
    },
  };

  attach(listener: (chunk: Buffer) => void): void {
    this.listener = listener;
    for (const chunk of this.early.splice(0)) listener(chunk);
  }
}

interface Pending {
  cseq: number;
  resolve: (msg: RtspMessage) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

export interface ConnectOptions {
  host: string;
  port: number;
  secure: boolean;
  tlsVerify: boolean;
  timeoutMs: number;
  /** The probe's signal: aborting it fails every wait on this connection with the signal's reason. */
  signal: AbortSignal;
}

/*
 * Cost matters here (10,000 cameras every 15 s): a request is one promise settled straight from
 * the parser, with one timer, rather than a race of wrappers; the abort signal is watched once per
 * connection, not once per request.
 */
export class RtspConnection {
  private cseq = 0;
  private readonly pending: Pending[] = [];
  private readonly parser: RtspWireParser;
  /** Why nobody may wait on this connection any more (it may still be writable: see farewell()). */
  private failure: Error | undefined;
  /** The socket closed or errored: nothing can be written any more. */
  private gone = false;
  private rejectFailed: (err: Error) => void = () => {};
  private readonly onAbort: () => void;
  /** Rejects with whatever ends the connection (reset, close, garbage, abort); never resolves. */
  readonly whenFailed: Promise<never>;
  /** True once the server sent any byte (a reset before that means "refused"). */
  answered = false;
  onFrame: (channel: number, payload: Buffer) => void = () => {};
  /** Called when the server sends its first byte. */
  onFirstByte: () => void = () => {};

  private constructor(
    private readonly socket: net.Socket,
    readonly where: string,
    private readonly signal: AbortSignal,
    reads: BorrowedReads | undefined,
  ) {
    this.whenFailed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    // Nobody may be listening when the connection ends after the probe; that is not an error.
    this.whenFailed.catch(() => {});
    this.parser = new RtspWireParser({
      message: (msg) => this.onMessage(msg),
      frame: (channel, payload) => this.onFrame(channel, payload),
    });
    this.onAbort = () => this.fail(abortError(signal));
    if (signal.aborted) this.onAbort();
    else signal.addEventListener('abort', this.onAbort, { once: true });
    if (reads) reads.attach((chunk) => this.onData(chunk, true));
    else socket.on('data', (chunk: Buffer) => this.onData(chunk, false));
    // Errors are built only when someone may still read them (building one captures a stack).
    socket.on('error', (err) => this.lost(this.failure ?? classifyNetworkError(err, this.where, this.answered)));
    socket.on('close', () => this.lost(this.failure ?? this.closedError()));
  }

  static async open(opts: ConnectOptions): Promise<RtspConnection> {
    const where = `${opts.host}:${opts.port}`;
    if (opts.signal.aborted) throw abortError(opts.signal);
    const reads = opts.secure ? undefined : new BorrowedReads();
    const socket = opts.secure
      ? tls.connect({
          host: opts.host,
          port: opts.port,
          rejectUnauthorized: opts.tlsVerify,
          // SNI only for names; an IP literal as servername is not allowed (RFC 6066 §3).
          ...(net.isIP(opts.host) === 0 ? { servername: opts.host } : {}),
        })
      : net.connect({ host: opts.host, port: opts.port, noDelay: true, onread: reads?.onread });
    // Requests are small and each waits for its answer: never hold one back for Nagle.
    if (opts.secure) socket.setNoDelay(true);
    let tcpUp = false;
    // Once TCP is up, any failure before the handshake completes is a TLS problem.
    const failure = (err?: Error): ProbeError =>
      opts.secure && tcpUp
        ? new ProbeError('tls', `TLS handshake with ${where} failed (${errorText(err)})`, { cause: err })
        : err
          ? classifyNetworkError(err, where, false)
          : new ProbeError('refused', `${where} closed the connection while connecting`);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => settle(new ProbeError('timeout', `no connection to ${where} within ${opts.timeoutMs} ms`)), opts.timeoutMs);
        const onAbort = (): void => settle(abortError(opts.signal));
        const settle = (err?: Error): void => {
          clearTimeout(timer);
          opts.signal.removeEventListener('abort', onAbort);
          socket.removeAllListeners('error');
          socket.removeAllListeners('close');
          if (err === undefined) resolve();
          else reject(err);
        };
        opts.signal.addEventListener('abort', onAbort, { once: true });
        if (opts.secure) socket.once('connect', () => (tcpUp = true));
        socket.once(opts.secure ? 'secureConnect' : 'connect', () => settle());
        socket.once('error', (err: Error) => settle(failure(err)));
        socket.once('close', () => settle(failure()));
      });
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return new RtspConnection(socket, where, opts.signal, reads);
  }

  /** Sends a request and waits for its response (any status) for at most `timeoutMs`. */
  request(method: string, uri: string, headers: Record<string, string>, timeoutMs: number): Promise<RtspMessage> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const cseq = ++this.cseq;
    const text = this.format(method, uri, cseq, headers);
    return new Promise<RtspMessage>((resolve, reject) => {
      const entry: Pending = {
        cseq,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.drop(entry);
          reject(new ProbeError('timeout', `${this.where} did not answer ${method} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.pending.push(entry);
      this.socket.write(text);
    });
  }

  /**
   * Sends a last request (TEARDOWN) without waiting for its answer, then closes the socket once the
   * request reached the kernel — or after `graceMs` if the camera does not read (a full send
   * buffer). Waiting for the answer would cost a round trip of reading RTP for nothing: the
   * session ends either way (RFC 2326 §10.11 defines no reply the client must act on).
   */
  farewell(method: string, uri: string, headers: Record<string, string>, graceMs: number): void {
    this.fail(CLOSED_BY_US);
    const socket = this.socket;
    if (this.gone || socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.write(this.format(method, uri, ++this.cseq, headers));
    // Usually the request went straight to the kernel (nothing left in our buffer): close now; the
    // kernel still delivers what it accepted. A camera that does not read gets `graceMs` to drain.
    if (socket.destroyed || socket.writableLength === 0) {
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => socket.destroy(), graceMs);
    socket.once('drain', () => socket.destroy());
    socket.once('close', () => clearTimeout(timer));
  }

  close(): void {
    this.fail(CLOSED_BY_US);
    this.socket.destroy();
  }

  private format(method: string, uri: string, cseq: number, headers: Record<string, string>): string {
    let text = `${method} ${uri} RTSP/1.0\r\nCSeq: ${cseq}\r\nUser-Agent: ${USER_AGENT}\r\n`;
    for (const name of Object.keys(headers)) text += `${name}: ${headers[name]}\r\n`;
    return `${text}\r\n`;
  }

  /** `borrowed`: the chunk's memory is reused after this call (READ_BUFFER). */
  private onData(chunk: Buffer, borrowed: boolean): void {
    if (!this.answered) {
      this.answered = true;
      this.onFirstByte();
    }
    try {
      this.parser.push(chunk, borrowed);
    } catch (err) {
      this.lost(err instanceof Error ? err : new ProbeError('protocol_error', String(err)));
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
    if (!match) return;
    this.drop(match);
    match.resolve(msg);
  }

  /** Servers may ping us (GET_PARAMETER/OPTIONS) or announce things; answer so they keep the session. */
  private answerServerRequest(msg: RtspMessage): void {
    const cseq = header(msg.headers, 'cseq') ?? '0';
    const ok = msg.method === 'GET_PARAMETER' || msg.method === 'OPTIONS' || msg.method === 'SET_PARAMETER';
    const status = ok ? '200 OK' : '501 Not Implemented';
    if (!this.socket.destroyed) this.socket.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\nUser-Agent: ${USER_AGENT}\r\n\r\n`);
  }

  private drop(entry: Pending): void {
    clearTimeout(entry.timer);
    const index = this.pending.indexOf(entry);
    if (index >= 0) this.pending.splice(index, 1);
  }

  /** The socket is unusable (closed, reset, unparsable): fail every wait. */
  private lost(err: Error): void {
    this.gone = true;
    this.fail(err);
  }

  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.signal.removeEventListener('abort', this.onAbort);
    this.rejectFailed(err);
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  private closedError(): ProbeError {
    return this.answered
      ? new ProbeError('protocol_error', `${this.where} closed the connection mid-exchange`)
      : new ProbeError('refused', `${this.where} closed the connection before answering (client limit reached?)`);
  }
}

/** The caller's abort reason, as every wait of the probe reports it. */
function abortError(signal: AbortSignal): Error {
  const reason = abortReason(signal);
  return reason instanceof Error ? reason : new ProbeError('timeout', `probe aborted (${String(reason)})`);
}

function errorText(err: Error | undefined): string {
  if (!err) return 'connection closed';
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.message;
}
