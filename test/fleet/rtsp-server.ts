/**
 * The fleet's RTSP side: one listening socket serves many cameras by path
 * (`rtsp://127.0.0.1:PORT/cam/00042`), speaking RTSP/1.0 (RFC 2326,
 * https://www.rfc-editor.org/rfc/rfc2326) with interleaved TCP transport only (§10.12): OPTIONS,
 * DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER/SET_PARAMETER as keep-alive. Each request
 * asks the fault book what its camera does at that moment.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { REASONS, RequestParser, formatMessage, parseTransport } from '../fixtures/fake-camera/rtsp-wire.js';
import type { WireRequest } from '../fixtures/fake-camera/rtsp-wire.js';
import { httpDate } from './context.js';
import type { CameraSlot, FleetContext } from './context.js';
import type { StreamMode } from './h264-feed.js';
import { PlaySession } from './rtsp-session.js';
import type { FaultKind } from './types.js';

const PUBLIC = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';
const REALM = 'StreamPulse fleet';
/** `rtsp://host:port/cam/00042` with an optional `/trackID=1` (our SDP's relative control URL). */
const TARGET = /^rtsps?:\/\/[^/]+\/cam\/(\d+)(?:\/trackID=(\d+))?\/?$/;

interface Reply {
  status: number;
  headers: [string, string][];
  body?: Buffer;
  /** Runs once the response is written (start streaming after PLAY's answer). */
  then?: () => void;
}

/** Listens on `host:port` (0: the OS picks); resolves once listening. */
export async function listenRtsp(ctx: FleetContext, host: string, port: number): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const clients = new Set<RtspClient>();
  const sessionPrefix = randomBytes(4).toString('hex').toUpperCase();
  let sessionSerial = 0;
  let boundPort = 0;
  const server = createServer({ noDelay: true }, (socket) => {
    const client = new RtspClient(socket, ctx, boundPort, () => `${sessionPrefix}${(++sessionSerial).toString(16).toUpperCase().padStart(8, '0')}`, () => clients.delete(client));
    clients.add(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 4096 }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  boundPort = (server.address() as { port: number }).port;
  return {
    server,
    port: boundPort,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const client of [...clients]) client.destroy();
      await closed;
    },
  };
}

class RtspClient {
  private readonly parser = new RequestParser();
  private session: PlaySession | undefined;
  /** Once a `slow` fault answered late, everything after it on this connection is late too. */
  private slowed = false;
  private readonly delayed = new Set<NodeJS.Timeout>();
  private closed = false;
  private counted = false;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: FleetContext,
    private readonly port: number,
    private readonly newSessionId: () => string,
    private readonly onClosed: () => void,
  ) {
    ctx.stats.connections++;
    ctx.stats.openConnections++;
    // A client that goes quiet without a session is dropped like the session would be.
    socket.setTimeout(ctx.sessionTimeoutSec * 1000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Resets by clients are routine here; they must never crash the simulator.
    socket.on('error', () => undefined);
    socket.on('close', () => this.finish());
  }

  destroy(): void {
    this.socket.destroy();
    this.finish();
  }

  private onData(chunk: Buffer): void {
    for (const msg of this.parser.push(chunk)) {
      if (this.closed) return;
      switch (msg.kind) {
        case 'request':
          this.onRequest(msg.request);
          break;
        case 'interleaved':
          this.session?.touch(Date.now()); // RTCP receiver reports
          break;
        case 'response':
          break;
        case 'bad':
          this.send(undefined, { status: 400, headers: [] });
          this.socket.end();
          return;
      }
    }
  }

  private onRequest(req: WireRequest): void {
    const { ctx } = this;
    ctx.stats.requests++;
    const now = Date.now();
    const cseq = req.headers.get('cseq');
    const target = TARGET.exec(req.url);
    const camera = target ? ctx.camera('rtsp', Number(target[1]), this.port) : undefined;
    const fault = camera ? ctx.book.faultAt(camera.id, now)?.kind : undefined;
    if (fault === 'down') {
      ctx.stats.faultsServed.down++;
      // A reset before any byte is how a camera that is off (or out of connections) looks.
      this.closed = true;
      this.socket.resetAndDestroy();
      return;
    }
    if (fault === 'slow' && !this.slowed) {
      ctx.stats.faultsServed.slow++;
      this.slowed = true;
    }
    let reply: Reply;
    if (cseq === undefined) reply = { status: 400, headers: [] };
    else if (fault === 'auth') reply = this.unauthorized();
    else reply = this.handle(req, camera, target?.[2], fault, now);
    if (!this.slowed) return this.send(cseq, reply);
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.send(cseq, reply);
    }, ctx.slowDelayMs);
    this.delayed.add(timer);
  }

  private handle(req: WireRequest, camera: CameraSlot | undefined, track: string | undefined, fault: FaultKind | undefined, now: number): Reply {
    if (req.method === 'OPTIONS' && (req.url === '*' || camera)) return { status: 200, headers: [['Public', PUBLIC]] };
    if (!camera) return { status: 404, headers: [] };
    const named = req.headers.get('session')?.split(';')[0]?.trim();
    if (named !== undefined && named !== this.session?.id) return { status: 454, headers: [] };
    if (named !== undefined) this.session?.touch(now);
    switch (req.method) {
      case 'DESCRIBE':
        return {
          status: 200,
          headers: [['Content-Base', `${req.url.replace(/\/$/, '')}/`], ['Content-Type', 'application/sdp']],
          body: this.ctx.feed.sdp,
        };
      case 'SETUP':
        return this.setup(req, camera, track, now);
      case 'PLAY':
        return this.play(req, fault, now);
      case 'PAUSE':
        if (!this.session) return { status: 454, headers: [] };
        this.session.stop();
        return { status: 200, headers: [['Session', this.session.id]] };
      case 'TEARDOWN': {
        const session = this.session;
        if (!session) return { status: 454, headers: [] };
        session.stop();
        this.session = undefined;
        return { status: 200, headers: [['Session', session.id]] };
      }
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return { status: 200, headers: this.session ? [['Session', this.session.id]] : [] };
      case 'ANNOUNCE':
      case 'RECORD':
        return { status: 405, headers: [['Allow', PUBLIC]] };
      default:
        return { status: 501, headers: [['Public', PUBLIC]] };
    }
  }

  private setup(req: WireRequest, camera: CameraSlot, track: string | undefined, now: number): Reply {
    if (track === undefined) return { status: 459, headers: [] };
    if (track !== '1') return { status: 404, headers: [] };
    const wanted = parseTransport(req.headers.get('transport')).find((t) => !t.multicast);
    // TCP only: UDP would cost two sockets per session, and probes ask for TCP first (461 → UDP).
    if (!wanted || wanted.kind !== 'tcp') return { status: 461, headers: [] };
    const channels = wanted.ports ?? [0, 1];
    this.session ??= new PlaySession(this.newSessionId(), channels[0], this.ctx, camera, {
      write: (chunks) => this.writeAll(chunks),
      backlog: () => this.socket.writableLength,
      expire: () => this.destroy(),
    }, now);
    this.session.cursor.channel = channels[0];
    return {
      status: 200,
      headers: [
        ['Transport', `RTP/AVP/TCP;unicast;interleaved=${channels[0]}-${channels[1]}`],
        ['Session', `${this.session.id};timeout=${this.ctx.sessionTimeoutSec}`],
      ],
    };
  }

  private play(req: WireRequest, fault: FaultKind | undefined, now: number): Reply {
    const session = this.session;
    if (!session) return { status: 454, headers: [] };
    let mode: StreamMode = 'normal';
    if (fault === 'frozen' || fault === 'noframes') {
      mode = fault;
      this.ctx.stats.faultsServed[fault]++;
    }
    const { sequence, rtptime } = session.prepare(mode, now);
    const base = req.url.replace(/\/$/, '');
    return {
      status: 200,
      headers: [
        ['Session', session.id],
        ['Range', 'npt=now-'],
        ['RTP-Info', `url=${base}/trackID=1;seq=${sequence};rtptime=${rtptime}`],
      ],
      then: () => session.start(Date.now()),
    };
  }

  private unauthorized(): Reply {
    this.ctx.stats.faultsServed.auth++;
    const nonce = randomBytes(12).toString('hex');
    // RFC 7616 §3.3: a Digest challenge; no credentials will ever satisfy it during the fault.
    return { status: 401, headers: [['WWW-Authenticate', `Digest realm="${REALM}", nonce="${nonce}", algorithm=MD5, qop="auth"`]] };
  }

  private send(cseq: string | undefined, reply: Reply): void {
    if (this.closed) return;
    const headers: [string, string][] = [];
    if (cseq !== undefined) headers.push(['CSeq', cseq]);
    headers.push(['Date', httpDate(Date.now())], ['Server', 'StreamPulseFleet/1.0'], ...reply.headers);
    this.write(formatMessage(`RTSP/1.0 ${reply.status} ${REASONS[reply.status] ?? 'Unknown'}`, headers, reply.body));
    reply.then?.();
  }

  private write(bytes: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(bytes);
  }

  private writeAll(chunks: Buffer[]): void {
    if (this.closed || this.socket.destroyed) return;
    if (chunks.length === 1) {
      this.socket.write(chunks[0] as Buffer);
      return;
    }
    this.socket.cork();
    for (const chunk of chunks) this.socket.write(chunk);
    this.socket.uncork();
  }

  /** Idempotent: the socket closed, the camera hung up, or the fleet stops. */
  private finish(): void {
    this.closed = true;
    this.session?.stop();
    this.session = undefined;
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    if (this.counted) return;
    this.counted = true;
    this.ctx.stats.openConnections--;
    this.onClosed();
  }
}
