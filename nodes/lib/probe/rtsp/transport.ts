/**
 * RTSP Transport and Session headers (RFC 2326 §12.39 and §12.37) and the UDP port pair a client
 * binds when a camera refuses interleaved TCP (`461 Unsupported Transport`).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { ProbeError } from '../../util/errors.js';

export type LowerTransport = 'tcp' | 'udp';

export interface TransportReply {
  lower: LowerTransport;
  /** Interleaved channel pair, RTP first (TCP). */
  interleaved?: [number, number];
  /** Server RTP/RTCP ports (UDP). */
  serverPorts?: [number, number];
  source?: string;
}

export function requestTransport(lower: LowerTransport, clientPorts?: [number, number]): string {
  if (lower === 'tcp') return 'RTP/AVP/TCP;unicast;interleaved=0-1';
  if (!clientPorts) throw new Error('UDP transport needs client ports');
  return `RTP/AVP;unicast;client_port=${clientPorts[0]}-${clientPorts[1]}`;
}

export function parseTransport(value: string | undefined, asked: LowerTransport): TransportReply {
  // A server may list several transports; the first one is the one it chose.
  const spec = (value ?? '').split(',')[0] ?? '';
  const parts = spec.split(';').map((p) => p.trim());
  const lower: LowerTransport = /\/TCP$/i.test(parts[0] ?? '') ? 'tcp' : value ? 'udp' : asked;
  const reply: TransportReply = { lower };
  for (const part of parts.slice(1)) {
    const [key, val] = part.split('=', 2);
    const pair = parsePair(val);
    switch ((key ?? '').toLowerCase()) {
      case 'interleaved':
        if (pair) reply.interleaved = pair;
        break;
      case 'server_port':
        if (pair) reply.serverPorts = pair;
        break;
      case 'source':
        if (val) reply.source = val;
        break;
      default:
        break;
    }
  }
  if (reply.lower === 'tcp' && !reply.interleaved) reply.interleaved = [0, 1];
  return reply;
}

function parsePair(value: string | undefined): [number, number] | undefined {
  if (!value) return undefined;
  const [a, b] = value.split('-').map(Number);
  if (a === undefined || !Number.isInteger(a)) return undefined;
  return [a, b !== undefined && Number.isInteger(b) ? b : a + 1];
}

export interface Session {
  id: string;
  /** Seconds of inactivity after which the server drops the session (default 60, §12.37). */
  timeoutSec: number;
}

export function parseSession(value: string | undefined): Session | undefined {
  if (!value) return undefined;
  const [id, ...params] = value.split(';').map((p) => p.trim());
  if (!id) return undefined;
  let timeoutSec = 60;
  for (const param of params) {
    const match = /^timeout\s*=\s*(\d+)$/i.exec(param);
    if (match) timeoutSec = Number(match[1]);
  }
  return { id, timeoutSec };
}

export interface UdpPair {
  rtp: dgram.Socket;
  rtcp: dgram.Socket;
  ports: [number, number];
  close(): void;
}

/**
 * Binds an even RTP port and the odd RTCP port right above it (RFC 3550 §11 asks for the pair).
 * Tries a few random even ports; the OS picks the first candidate.
 */
export async function bindUdpPair(remoteHost: string): Promise<UdpPair> {
  const type = net.isIPv6(remoteHost) ? 'udp6' : 'udp4';
  for (let attempt = 0; attempt < 20; attempt++) {
    const rtp = dgram.createSocket(type);
    const rtcp = dgram.createSocket(type);
    const close = () => {
      rtp.close();
      rtcp.close();
    };
    try {
      await bind(rtp, 0);
      const port = rtp.address().port;
      if (port % 2 !== 0 || port === 65535) throw new Error('odd port');
      await bind(rtcp, port + 1);
      // An unhandled 'error' on a dgram socket would crash the process; a probe only reads, and a
      // missing packet already shows up as no_frame.
      rtp.on('error', () => {});
      rtcp.on('error', () => {});
      return { rtp, rtcp, ports: [port, port + 1], close };
    } catch {
      safeClose(rtp);
      safeClose(rtcp);
    }
  }
  throw new ProbeError('protocol_error', 'could not bind a local UDP port pair for RTP');
}

function bind(socket: dgram.Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, () => {
      socket.removeListener('error', reject);
      resolve();
    });
  });
}

function safeClose(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // Never bound: nothing to release.
  }
}
