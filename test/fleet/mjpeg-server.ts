/**
 * The fleet's MJPEG side: HTTP `multipart/x-mixed-replace` streams (RFC 2046 §5.1,
 * https://www.rfc-editor.org/rfc/rfc2046#section-5.1) at `http://127.0.0.1:PORT/mjpeg/0042`, every
 * camera sending the same real JPEG (encoded once by ffmpeg). Each part gets a COM segment with
 * its frame number (JPEG, ITU-T T.81 §B.2.4.5), so successive frames differ byte-wise as a live
 * picture's would; a `frozen` camera repeats one frame exactly.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ffmpegJpeg } from '../fixtures/jpeg-samples.js';
import { httpDate, liveFrame } from './context.js';
import type { CameraSlot, FleetContext } from './context.js';
import type { TickedStream } from './ticker.js';

const BOUNDARY = 'streampulsefleet';
const CONGESTED_BYTES = 256 * 1024;
const PATH = /^\/mjpeg\/(\d+)$/;
/** Fixed width, so every part has the same length and the part headers can be built once. */
const COUNTER_DIGITS = 15;

/** The JPEG split around where the COM segment goes, and the constant part headers. */
export class JpegFrames {
  private readonly rest: Buffer;
  private readonly head: Buffer;
  readonly partBytes: number;

  constructor(jpeg: Buffer) {
    if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('fleet MJPEG: the sample is not a JPEG');
    this.rest = jpeg.subarray(2);
    const jpegBytes = 2 + 4 + `fleet frame `.length + COUNTER_DIGITS + this.rest.length;
    this.head = Buffer.from(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpegBytes}\r\n\r\n`, 'latin1');
    this.partBytes = this.head.length + jpegBytes + 2;
  }

  static fromFfmpeg(width: number, height: number): JpegFrames {
    return new JpegFrames(ffmpegJpeg(width, height));
  }

  /** One multipart part: headers, SOI, COM "fleet frame N", the rest of the JPEG, CRLF. */
  part(frameNo: number): Buffer {
    const text = `fleet frame ${String(frameNo % 10 ** COUNTER_DIGITS).padStart(COUNTER_DIGITS, '0')}`;
    const out = Buffer.allocUnsafe(this.partBytes);
    let at = this.head.copy(out, 0);
    out[at++] = 0xff;
    out[at++] = 0xd8;
    out[at++] = 0xff;
    out[at++] = 0xfe;
    at = out.writeUInt16BE(2 + text.length, at);
    at += out.write(text, at, 'latin1');
    at += this.rest.copy(out, at);
    out[at++] = 0x0d;
    out[at] = 0x0a;
    return out;
  }
}

export async function listenMjpeg(ctx: FleetContext, frames: JpegFrames, host: string, port: number): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  let boundPort = 0;
  const delayed = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => serve(ctx, frames, boundPort, delayed, req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 1024 }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  boundPort = (server.address() as { port: number }).port;
  server.on('connection', (socket) => {
    ctx.stats.connections++;
    ctx.stats.openConnections++;
    socket.on('error', () => undefined);
    socket.on('close', () => ctx.stats.openConnections--);
  });
  return {
    server,
    port: boundPort,
    close: async () => {
      for (const timer of delayed) clearTimeout(timer);
      delayed.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function serve(ctx: FleetContext, frames: JpegFrames, port: number, delayed: Set<NodeJS.Timeout>, req: IncomingMessage, res: ServerResponse): void {
  ctx.stats.requests++;
  const now = Date.now();
  const match = PATH.exec((req.url ?? '').split('?')[0] ?? '');
  const camera = match ? ctx.camera('mjpeg', Number(match[1]), port) : undefined;
  if (!camera || req.method !== 'GET') {
    res.writeHead(camera ? 405 : 404, { Date: httpDate(now), 'Content-Type': 'text/plain' }).end(camera ? 'GET only\n' : 'no such camera\n');
    return;
  }
  const fault = ctx.book.faultAt(camera.id, now)?.kind;
  switch (fault) {
    case 'down':
      ctx.stats.faultsServed.down++;
      req.socket.resetAndDestroy();
      return;
    case 'slow': {
      ctx.stats.faultsServed.slow++;
      // The answer comes, only later than any probe waits: serve whatever the camera does then.
      const timer = setTimeout(() => {
        delayed.delete(timer);
        if (!res.destroyed) startStream(ctx, frames, camera, res, ctx.book.faultAt(camera.id, Date.now())?.kind === 'frozen');
      }, ctx.slowDelayMs);
      delayed.add(timer);
      res.on('close', () => {
        clearTimeout(timer);
        delayed.delete(timer);
      });
      return;
    }
    case 'auth':
      ctx.stats.faultsServed.auth++;
      res.writeHead(401, { Date: httpDate(now), 'WWW-Authenticate': 'Basic realm="StreamPulse fleet"', 'Content-Type': 'text/plain' }).end('unauthorized\n');
      return;
    case 'noframes':
      ctx.stats.faultsServed.noframes++;
      // Headers, then nothing: a camera whose encoder hangs.
      res.writeHead(200, multipartHeaders(now));
      res.flushHeaders();
      return;
    case 'frozen':
      ctx.stats.faultsServed.frozen++;
      startStream(ctx, frames, camera, res, true);
      return;
    case undefined:
      startStream(ctx, frames, camera, res, false);
      return;
  }
}

function multipartHeaders(now: number): Record<string, string> {
  return { Date: httpDate(now), 'Content-Type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`, 'Cache-Control': 'no-store' };
}

function startStream(ctx: FleetContext, frames: JpegFrames, camera: CameraSlot, res: ServerResponse, frozen: boolean): void {
  res.writeHead(200, multipartHeaders(Date.now()));
  const stream = new MjpegStream(ctx, frames, camera, res, frozen);
  ctx.stats.streamsStarted++;
  ctx.stats.streaming++;
  ctx.ticker.add(stream);
  res.on('close', () => stream.stop());
  stream.tick(Date.now());
}

class MjpegStream implements TickedStream {
  private stopped = false;

  constructor(
    private readonly ctx: FleetContext,
    private readonly frames: JpegFrames,
    private readonly camera: CameraSlot,
    private readonly res: ServerResponse,
    private readonly frozen: boolean,
  ) {}

  tick(now: number): void {
    if (this.stopped || this.res.destroyed) return this.stop();
    if (this.res.writableLength > CONGESTED_BYTES) return;
    const part = this.frames.part(this.frozen ? 0 : liveFrame(this.ctx, this.camera, now));
    this.res.write(part);
    this.ctx.stats.framesSent++;
    this.ctx.stats.bytesSent += part.length;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ctx.stats.streaming--;
    this.ctx.ticker.remove(this);
  }
}
