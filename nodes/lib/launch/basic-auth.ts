/**
 * HTTP Basic authentication (RFC 7617) for the flows' HTTP routes — the dashboard and the store's
 * API — with the same bcrypt hash the editor login uses, as Node-RED's own `httpNodeAuth` does.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface BasicCredentials {
  user: string;
  password: string;
}

/** `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  const match = /^\s*basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  // The user id cannot contain a colon; the password can (RFC 7617 §2).
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface AuthRequest {
  method?: string | undefined;
  headers: { authorization?: string | undefined };
}
export interface AuthResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

export interface BasicAuthOptions {
  user: string;
  /** Checks a password against the stored hash (bcrypt is slow on purpose: it is asynchronous). */
  verify(password: string): Promise<boolean>;
  realm?: string;
}

/**
 * Middleware answering 401 without valid credentials. The last accepted password is remembered
 * as a digest, so a browser polling the API does not pay a bcrypt round per request.
 */
export function basicAuthMiddleware(options: BasicAuthOptions): (req: AuthRequest, res: AuthResponse, next: () => void) => void {
  const userDigest = digest(options.user);
  let accepted: Buffer | undefined;
  const realm = (options.realm ?? 'StreamPulse').replace(/["\\]/g, '');
  const deny = (res: AuthResponse): void => {
    res.statusCode = 401;
    res.setHeader('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('401 Unauthorized\n');
  };
  return (req, res, next) => {
    // CORS preflights carry no credentials (https://fetch.spec.whatwg.org/#cors-preflight-fetch).
    if (req.method === 'OPTIONS') {
      next();
      return;
    }
    const given = parseBasicAuth(req.headers.authorization);
    if (given === undefined || !timingSafeEqual(digest(given.user), userDigest)) {
      deny(res);
      return;
    }
    const passwordDigest = digest(given.password);
    if (accepted !== undefined && timingSafeEqual(passwordDigest, accepted)) {
      next();
      return;
    }
    options.verify(given.password).then(
      (ok) => {
        if (!ok) {
          deny(res);
          return;
        }
        accepted = passwordDigest;
        next();
      },
      () => deny(res),
    );
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
