/**
 * One RTSP session against one URL: OPTIONS → DESCRIBE → SETUP → PLAY → wait for video evidence →
 * TEARDOWN (RFC 2326 §10, https://www.rfc-editor.org/rfc/rfc2326#section-10). Authentication,
 * status codes, the TCP→UDP fallback and keep-alives live here; frame parsing lives in
 * ../depacketizer.ts and evidence collection in ./evidence.ts.
 */
import { Authenticator, describeChallenges, parseChallenges } from '../auth.js';
import { parameterSetsFor, sizeFromParameterSets } from '../video-track.js';
import { audioCodec, firstVideo, parseSdp, resolveControlUrl } from '../sdp.js';
import { ProbeError } from '../../util/errors.js';
import type { Outcome, ProbeContext } from '../types.js';
import { RtspConnection } from './connection.js';
import { EvidenceCollector } from './evidence.js';
import { bindUdpPair, parseSession, parseTransport, requestTransport } from './transport.js';
import type { LowerTransport, Session, UdpPair } from './transport.js';
import { header } from './wire.js';
import type { RtspMessage } from './wire.js';

/** Caps per phase; the overall deadline still wins when it is shorter. */
const CONNECT_CAP_MS = 5_000;
const REQUEST_CAP_MS = 5_000;
/** Time kept back from the evidence wait so TEARDOWN still fits inside the deadline. */
const TEARDOWN_RESERVE_MS = 300;

/** Thrown by DESCRIBE/OPTIONS on 3xx: the caller reconnects once to `location`. */
export class Redirect extends Error {
  constructor(readonly location: URL) {
    super(`redirect to ${location.host}${location.pathname}`);
  }
}

export class RtspSession {
  private conn: RtspConnection | undefined;
  private auth: Authenticator | undefined;
  private session: Session | undefined;
  private playUrl = '';
  private udp: UdpPair | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private evidence: EvidenceCollector | undefined;

  constructor(
    private readonly ctx: ProbeContext,
    private readonly url: URL,
  ) {}

  async run(): Promise<Outcome> {
    const { ctx, url } = this;
    const secure = url.protocol === 'rtsps:';
    this.conn = await RtspConnection.open({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : secure ? 322 : 554,
      secure,
      tlsVerify: ctx.tlsVerify,
      timeoutMs: ctx.deadline.phaseMs(CONNECT_CAP_MS),
      signal: ctx.signal,
    });
    ctx.mark('connectMs');
    this.conn.onFirstByte = () => ctx.mark('firstResponseMs');
    const href = requestUri(url);

    const options = await this.send('OPTIONS', href, {});
    this.noteClock(options);
    if (options.status >= 300 && options.status < 400) throw this.redirect(options);

    const describe = await this.send('DESCRIBE', href, { Accept: 'application/sdp' });
    this.noteClock(describe);
    this.expectOk('DESCRIBE', describe);
    const sdp = parseSdp(describe.body.toString('utf8'));
    const base = header(describe.headers, 'content-base') ?? header(describe.headers, 'content-location') ?? href;
    const video = firstVideo(sdp);
    const audio = audioCodec(sdp);
    ctx.facts.media = { ...(audio ? { audio } : {}) };
    if (!video) {
      return { code: 'no_video', message: audio ? `the stream carries audio only (${audio}), no video track` : 'the stream describes no video track' };
    }
    const announced = sizeFromParameterSets(video.codec, parameterSetsFor(video.codec, video.fmtp));
    ctx.facts.media = { ...ctx.facts.media, codec: video.codec, ...announced };

    const transport = await this.setup(resolveControlUrl(base, video.media.control));
    this.playUrl = sdp.control && sdp.control !== '*' ? resolveControlUrl(base, sdp.control) : base;
    // Listen before PLAY: RTP may arrive in the same read as the answer, or overtake it over UDP.
    this.evidence = new EvidenceCollector(ctx, {
      video,
      conn: this.conn,
      transport,
      ...(this.interleaved ? { interleaved: this.interleaved } : {}),
      ...(this.udp ? { udp: this.udp } : {}),
    });
    const play = await this.send('PLAY', this.playUrl, { Range: 'npt=0.000-' });
    this.expectOk('PLAY', play);
    this.startKeepAlive(options);
    return this.evidence.wait(Math.max(0, ctx.deadline.remaining() - TEARDOWN_RESERVE_MS));
  }

  /**
   * Ends the session politely and releases every socket and timer: TEARDOWN is sent (never awaited,
   * see RtspConnection.farewell) whenever a session was set up, whatever ended the probe.
   */
  close(): void {
    clearInterval(this.keepAlive);
    this.evidence?.stop();
    const conn = this.conn;
    if (conn && this.session) {
      const grace = Math.min(TEARDOWN_RESERVE_MS, Math.max(50, this.ctx.deadline.remaining()));
      conn.farewell('TEARDOWN', this.playUrl, this.headers('TEARDOWN', this.playUrl, {}), grace);
    } else {
      conn?.close();
    }
    this.udp?.close();
    this.udp = undefined;
  }

  private async setup(controlUrl: string): Promise<LowerTransport> {
    const forced = this.ctx.transport;
    const secure = this.url.protocol === 'rtsps:';
    if (forced !== 'udp') {
      const reply = await this.send('SETUP', controlUrl, { Transport: requestTransport('tcp') });
      if (reply.status !== 461 || forced === 'tcp' || secure) {
        if (reply.status === 461) {
          throw new ProbeError('protocol_error', secure ? 'camera refuses TCP interleaving over RTSPS (461 Unsupported Transport)' : 'camera refuses TCP interleaving (461) and the stream forces TCP');
        }
        return this.acceptSetup(reply, 'tcp');
      }
    }
    // 461 Unsupported Transport, or UDP forced: RTP to a local even/odd port pair (RFC 2326 §12.39).
    this.udp = await bindUdpPair(this.url.hostname);
    const reply = await this.send('SETUP', controlUrl, { Transport: requestTransport('udp', this.udp.ports) });
    return this.acceptSetup(reply, 'udp');
  }

  private acceptSetup(reply: RtspMessage, asked: LowerTransport): LowerTransport {
    this.expectOk('SETUP', reply);
    this.session = parseSession(header(reply.headers, 'session'));
    if (!this.session) throw new ProbeError('protocol_error', 'SETUP answer carries no Session header');
    const transport = parseTransport(header(reply.headers, 'transport'), asked);
    if (transport.lower !== asked) {
      throw new ProbeError('protocol_error', `asked for ${asked.toUpperCase()} transport, camera answered ${transport.lower.toUpperCase()}`);
    }
    this.interleaved = transport.interleaved;
    return transport.lower;
  }

  /** The interleaved channel pair the camera chose (it may differ from the one we asked for). */
  interleaved: [number, number] | undefined;

  /** Sends a request; on 401 answers the challenge once (RFC 7235 §3.1), again if the nonce went stale. */
  private async send(method: string, uri: string, extra: Record<string, string>): Promise<RtspMessage> {
    const conn = this.connection();
    const ask = () => conn.request(method, uri, this.headers(method, uri, extra), this.ctx.deadline.phaseMs(REQUEST_CAP_MS));
    let reply = await ask();
    if (reply.status !== 401) return reply;
    const challenges = parseChallenges(reply.headers.get('www-authenticate') ?? []);
    const offered = describeChallenges(challenges);
    const creds = this.ctx.credentials;
    if (!creds) throw new ProbeError('auth_failed', `${method}: camera requires authentication (${offered}) and no credentials were given`);
    if (!Authenticator.canAnswer(challenges)) throw new ProbeError('auth_failed', `${method}: camera offers ${offered}, which StreamPulse cannot answer`);
    const hadAuth = this.auth !== undefined;
    this.auth = new Authenticator(creds, challenges);
    reply = await ask();
    if (reply.status === 401 && hadAuth && /stale\s*=\s*"?true/i.test((reply.headers.get('www-authenticate') ?? []).join(','))) {
      this.auth = new Authenticator(creds, parseChallenges(reply.headers.get('www-authenticate') ?? []));
      reply = await ask();
    }
    if (reply.status === 401) {
      throw new ProbeError('auth_failed', `${method}: camera rejected the credentials of user "${creds.username}" (${offered})`);
    }
    return reply;
  }

  private headers(method: string, uri: string, extra: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = { ...extra };
    if (this.session) out['Session'] = this.session.id;
    if (this.auth) out['Authorization'] = this.auth.authorization(method, uri);
    return out;
  }

  private expectOk(method: string, reply: RtspMessage): void {
    const { status, reason } = reply;
    if (status >= 200 && status < 300) return;
    const what = `${method}: ${status} ${reason}`.trim();
    if (status >= 300 && status < 400) throw this.redirect(reply);
    if (status === 403) throw new ProbeError('auth_failed', `${what} (the user may not view this stream)`);
    if (status === 404 || status === 454) throw new ProbeError('not_found', what);
    if (status >= 500) throw new ProbeError('server_error', what);
    throw new ProbeError('protocol_error', what);
  }

  private redirect(reply: RtspMessage): Error {
    const location = header(reply.headers, 'location');
    if (!location) return new ProbeError('protocol_error', `${reply.status} redirect without a Location header`);
    try {
      const target = new URL(location, requestUri(this.url));
      target.username = '';
      target.password = '';
      if (target.protocol !== 'rtsp:' && target.protocol !== 'rtsps:') throw new Error('scheme');
      return new Redirect(target);
    } catch {
      return new ProbeError('protocol_error', `${reply.status} redirect to an unusable Location`);
    }
  }

  /** The camera's Date header has 1 s resolution: its true time lies in [d, d+1000), so add 500. */
  private noteClock(reply: RtspMessage): void {
    if (this.ctx.facts.clockSkewMs !== undefined) return;
    const date = Date.parse(header(reply.headers, 'date') ?? '');
    if (Number.isFinite(date)) this.ctx.facts.clockSkewMs = Math.round(date + 500 - this.ctx.now());
  }

  /** Sessions time out without traffic from us (§12.37); RTP we receive does not count. */
  private startKeepAlive(options: RtspMessage): void {
    const session = this.session;
    if (!session || session.timeoutSec * 1000 > this.ctx.deadline.remaining() + 1000) return;
    const method = (header(options.headers, 'public') ?? '').includes('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
    const every = Math.max(500, (session.timeoutSec * 1000) / 2);
    this.keepAlive = setInterval(() => {
      this.send(method, this.playUrl, {}).catch(() => {});
    }, every);
  }

  private connection(): RtspConnection {
    if (!this.conn) throw new Error('RTSP connection not open');
    return this.conn;
  }
}

/** The URL as sent on the request line: never with userinfo. */
export function requestUri(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}
