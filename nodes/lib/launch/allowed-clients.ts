/**
 * STREAMPULSE_ALLOWED_CLIENTS: the peers that may talk HTTP (and WebSocket) to Node-RED. The
 * Home Assistant app sets the Supervisor's ingress proxy and the container itself; everyone else
 * gets 403. Entries are IP addresses or CIDR subnets (`192.168.1.0/24`, `fd00::/8`).
 */
import { BlockList, isIP } from 'node:net';

export type AllowedClientsResult = { ok: true; entries: string[] } | { ok: false; errors: string[] };

export function parseAllowedClients(text: string): AllowedClientsResult {
  const entries: string[] = [];
  const errors: string[] = [];
  for (const raw of text.split(/[\s,]+/).filter(Boolean)) {
    const [address = '', prefix, extra] = raw.split('/');
    const ip = normaliseAddress(address);
    const family = ip === undefined ? 0 : isIP(ip);
    const bits = prefix === undefined ? undefined : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (ip === undefined || family === 0 || extra !== undefined) {
      errors.push(`"${raw}" is not an IP address or subnet`);
    } else if (bits !== undefined && !(bits >= 0 && bits <= (family === 4 ? 32 : 128))) {
      errors.push(`"${raw}" has a prefix length outside 0..${family === 4 ? 32 : 128}`);
    } else {
      entries.push(bits === undefined ? ip : `${ip}/${bits}`);
    }
  }
  if (errors.length === 0 && entries.length === 0) errors.push('lists no address (leave it unset to allow everyone)');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, entries };
}

/**
 * The address as one spelling: an IPv4-mapped IPv6 address (`::ffff:172.30.32.2`, what a
 * dual-stack socket reports for an IPv4 peer, RFC 4291 §2.5.5.2) becomes the IPv4 address, and
 * IPv6 is written in its canonical form (RFC 5952), which the WHATWG URL serialiser produces.
 * undefined when it is no IP address.
 */
export function normaliseAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const trimmed = address.trim().replace(/^\[(.*)\]$/, '$1');
  const family = isIP(trimmed);
  if (family === 4) return trimmed;
  if (family !== 6) return undefined;
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  if (dotted?.[1] !== undefined && isIP(dotted[1]) === 4) return dotted[1];
  let canonical: string;
  try {
    canonical = new URL(`http://[${trimmed}]/`).hostname.slice(1, -1);
  } catch {
    return undefined; // a zone index (fe80::1%eth0) is no URL host; such peers are not matched
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped?.[1] !== undefined && mapped[2] !== undefined) {
    const high = parseInt(mapped[1], 16);
    const low = parseInt(mapped[2], 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  return canonical;
}

export class ClientGate {
  private readonly list = new BlockList();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address = '', prefix] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
  }

  /** Whether a socket's `remoteAddress` may pass; an unknown address may not. */
  allows(remoteAddress: string | undefined): boolean {
    const address = normaliseAddress(remoteAddress);
    if (address === undefined) return false;
    return this.list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
}

/** What the gate needs of a request, so plain node:http and Express requests both fit. */
export interface GateRequest {
  socket: { remoteAddress?: string | undefined };
}
export interface GateResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/**
 * Express-style middleware for Node-RED's `httpAdminMiddleware` / `httpNodeMiddleware`.
 * `onRefused` hears each refused address once (up to 100 addresses), for one log line each.
 */
export function gateMiddleware(gate: ClientGate, onRefused?: (address: string) => void): (req: GateRequest, res: GateResponse, next: () => void) => void {
  const told = new Set<string>();
  return (req, res, next) => {
    if (gate.allows(req.socket.remoteAddress)) {
      next();
      return;
    }
    const address = normaliseAddress(req.socket.remoteAddress) ?? String(req.socket.remoteAddress);
    if (onRefused && !told.has(address) && told.size < 100) {
      told.add(address);
      onRefused(address);
    }
    refuse(res);
  };
}

export function refuse(res: GateResponse): void {
  res.statusCode = 403;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Connection', 'close');
  res.end('403 Forbidden\n');
}
