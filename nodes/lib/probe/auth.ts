/**
 * HTTP authentication shared by the RTSP and HTTP probes: parse `WWW-Authenticate` challenges
 * (RFC 7235 §4.1, https://www.rfc-editor.org/rfc/rfc7235#section-4.1), pick the strongest one we
 * can answer and build `Authorization` values for Digest (RFC 7616,
 * https://www.rfc-editor.org/rfc/rfc7616) and Basic (RFC 7617,
 * https://www.rfc-editor.org/rfc/rfc7617).
 *
 * The password is hashed (Digest) or encoded (Basic) in the constructor and never kept in clear,
 * so neither a message nor an inspected object can leak it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Credentials } from './types.js';
import { ProbeError } from '../util/errors.js';

/** One challenge: scheme and parameter names lower-cased, values unquoted. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
  /** The token68 form (`Negotiate abc==`), when the challenge uses it instead of parameters. */
  token68?: string;
}

/**
 * Parses every challenge of one or several `WWW-Authenticate` header values. A value may hold
 * several challenges separated by commas, which also separate parameters: a new challenge starts
 * where a token is not followed by `=` (RFC 7235 §4.1). Unparseable tails are dropped, never thrown.
 */
export function parseChallenges(headerValues: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of headerValues) out.push(...parseOne(value));
  return out;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;

function parseOne(text: string): Challenge[] {
  const out: Challenge[] = [];
  let pos = 0;
  const skip = (chars: RegExp): void => {
    while (pos < text.length && chars.test(text.charAt(pos))) pos++;
  };
  while (pos < text.length) {
    skip(/[\s,]/);
    const scheme = TOKEN.exec(text.slice(pos))?.[0];
    if (!scheme) break;
    pos += scheme.length;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    skip(/[ \t]/);
    // token68 (Basic/Negotiate style): token chars ending in '=' padding, then end or comma.
    const t68 = TOKEN68.exec(text.slice(pos))?.[0];
    if (t68 && !isParamStart(text, pos) && /^\s*(,|$)/.test(text.slice(pos + t68.length))) {
      challenge.token68 = t68;
      pos += t68.length;
      continue;
    }
    // auth-params until a token that is not followed by '=' (the next challenge's scheme).
    while (pos < text.length) {
      skip(/[\s,]/);
      if (!isParamStart(text, pos)) break;
      const name = TOKEN.exec(text.slice(pos))?.[0] ?? '';
      pos += name.length;
      skip(/[ \t]/);
      pos++; // '='
      skip(/[ \t]/);
      let value: string;
      if (text.charAt(pos) === '"') {
        [value, pos] = readQuoted(text, pos);
      } else {
        value = /^[^\s,]*/.exec(text.slice(pos))?.[0] ?? '';
        pos += value.length;
      }
      challenge.params[name.toLowerCase()] = value;
    }
  }
  return out;
}

/** True when `text` at `pos` reads `token BWS "="` but not `==` (token68 padding). */
function isParamStart(text: string, pos: number): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=(?!=)/.test(text.slice(pos)) && !/^[^=\s]+=+\s*(,|$)/.test(text.slice(pos));
}

/** Reads a quoted-string at `pos` (RFC 7230 §3.2.6: backslash escapes the next char). */
function readQuoted(text: string, pos: number): [string, number] {
  let value = '';
  let i = pos + 1;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '\\' && i + 1 < text.length) {
      value += text.charAt(i + 1);
      i += 2;
    } else if (c === '"') {
      return [value, i + 1];
    } else {
      value += c;
      i++;
    }
  }
  return [value, i]; // unterminated: keep what we have
}

/** Digest algorithms we answer, strongest first (RFC 7616 §3.3 lists SHA-512-256, SHA-256, MD5). */
const DIGEST_HASHES: Record<string, { hash: string; rank: number }> = {
  'sha-512-256': { hash: 'sha512-256', rank: 4 },
  'sha-256': { hash: 'sha256', rank: 3 },
  md5: { hash: 'md5', rank: 2 },
};
const BASIC_RANK = 1;

interface DigestChoice {
  kind: 'digest';
  challenge: Challenge;
  hash: string;
  sess: boolean;
  qop: 'auth' | undefined;
  rank: number;
}
type Choice = DigestChoice | { kind: 'basic'; rank: number };

/** Why a challenge cannot be answered, or how it would be. */
function assess(c: Challenge): Choice | string {
  if (c.scheme === 'basic') return { kind: 'basic', rank: BASIC_RANK };
  if (c.scheme !== 'digest') return `scheme ${c.scheme} is not supported`;
  if (c.params['nonce'] === undefined || c.params['realm'] === undefined) return 'Digest challenge without nonce or realm';
  const algorithm = (c.params['algorithm'] ?? 'MD5').toLowerCase();
  const sess = algorithm.endsWith('-sess');
  const known = DIGEST_HASHES[sess ? algorithm.slice(0, -'-sess'.length) : algorithm];
  if (!known) return `Digest algorithm ${c.params['algorithm']} is not supported`;
  const qops = c.params['qop']?.split(',').map((q) => q.trim().toLowerCase());
  // auth-int would need a hash of the entity body we send; we never send one but a server that
  // offers only auth-int is rare and answering it wrongly fails the same way, so refuse it.
  if (qops && !qops.includes('auth')) return 'Digest qop=auth-int only is not supported';
  return { kind: 'digest', challenge: c, hash: known.hash, sess, qop: qops ? 'auth' : undefined, rank: known.rank };
}

/** "Digest SHA-256, Digest MD5, Basic": the offered schemes, for messages (no realm, no nonce). */
export function describeChallenges(challenges: readonly Challenge[]): string {
  if (challenges.length === 0) return 'no challenge';
  return challenges
    .map((c) => {
      if (c.scheme === 'basic') return 'Basic';
      if (c.scheme !== 'digest') return c.scheme.charAt(0).toUpperCase() + c.scheme.slice(1);
      const qop = c.params['qop'];
      const intOnly = qop !== undefined && !qop.toLowerCase().split(',').map((q) => q.trim()).includes('auth');
      return `Digest ${c.params['algorithm'] ?? 'MD5'}${intOnly ? ' (auth-int)' : ''}`;
    })
    .join(', ');
}

export class Authenticator {
  /** Basic: the whole header value. Digest: H(username:realm:password). Never the password. */
  readonly #secret: string;
  readonly #choice: Choice | undefined;
  readonly #username: string;
  readonly #challenges: readonly Challenge[];
  readonly #newCnonce: () => string;
  #nc = 0;
  #sessCnonce: string | undefined;

  /**
   * @param cnonce test hook: returns the client nonce to use (default: 16 random bytes, hex).
   */
  constructor(credentials: Credentials, challenges: readonly Challenge[], cnonce?: () => string) {
    this.#challenges = challenges;
    this.#username = credentials.username;
    this.#newCnonce = cnonce ?? (() => randomBytes(16).toString('hex'));
    let best: Choice | undefined;
    for (const c of challenges) {
      const choice = assess(c);
      if (typeof choice !== 'string' && (!best || choice.rank > best.rank)) best = choice;
    }
    this.#choice = best;
    if (best?.kind === 'basic') {
      // RFC 7617 §2.1: user-pass is UTF-8 when the server says charset=UTF-8; UTF-8 is also
      // what every camera we know expects otherwise.
      this.#secret = 'Basic ' + Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
    } else if (best?.kind === 'digest') {
      const realm = best.challenge.params['realm'] ?? '';
      this.#secret = hash(best.hash, `${credentials.username}:${realm}:${credentials.password}`);
    } else {
      this.#secret = '';
    }
  }

  /** True when at least one challenge is one we can answer. */
  static canAnswer(challenges: readonly Challenge[]): boolean {
    return challenges.some((c) => typeof assess(c) !== 'string');
  }

  /** All offered challenges, for messages: "Digest SHA-256, Basic". */
  describeChallenges(): string {
    return describeChallenges(this.#challenges);
  }

  /** The challenge in use, for messages: "Digest SHA-256" or "Basic" (undefined when none fits). */
  get scheme(): string | undefined {
    const choice = this.#choice;
    if (!choice) return undefined;
    return choice.kind === 'basic' ? 'Basic' : describeChallenges([choice.challenge]);
  }

  /** The `Authorization` value for one request; each call counts one more use of the nonce. */
  authorization(method: string, uri: string): string {
    const choice = this.#choice;
    if (!choice) {
      const why = this.#challenges.map((c) => assess(c)).filter((r): r is string => typeof r === 'string');
      throw new ProbeError('auth_failed', `cannot answer the camera's authentication (${this.describeChallenges()}): ${why.join('; ') || 'no challenge'}`);
    }
    if (choice.kind === 'basic') return this.#secret;
    return this.digest(choice, method, uri);
  }

  private digest(choice: DigestChoice, method: string, uri: string): string {
    const p = choice.challenge.params;
    const nonce = p['nonce'] ?? '';
    const H = (s: string): string => hash(choice.hash, s);
    this.#nc++;
    const nc = this.#nc.toString(16).padStart(8, '0');
    // -sess (RFC 7616 §3.4.2): A1 binds the first cnonce; we keep that cnonce for the whole
    // session so servers that recompute A1 from the request's cnonce agree too.
    const cnonce = choice.sess ? (this.#sessCnonce ??= this.#newCnonce()) : this.#newCnonce();
    const ha1 = choice.sess ? H(`${this.#secret}:${nonce}:${cnonce}`) : this.#secret;
    const ha2 = H(`${method}:${uri}`);
    const response = choice.qop ? H(`${ha1}:${nonce}:${nc}:${cnonce}:${choice.qop}:${ha2}`) : H(`${ha1}:${nonce}:${ha2}`);
    let username = this.#username;
    const userhash = p['userhash']?.toLowerCase() === 'true';
    // RFC 7616 §3.4.4: the server asked us to hide the username behind H(username:realm).
    if (userhash) username = H(`${username}:${p['realm'] ?? ''}`);
    const parts = [
      `username=${quote(username)}`,
      `realm=${quote(p['realm'] ?? '')}`,
      `nonce=${quote(nonce)}`,
      `uri=${quote(uri)}`,
    ];
    if (p['algorithm'] !== undefined) parts.push(`algorithm=${p['algorithm']}`);
    parts.push(`response=${quote(response)}`);
    if (choice.qop) parts.push(`qop=${choice.qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
    else if (choice.sess) parts.push(`cnonce=${quote(cnonce)}`);
    if (p['opaque'] !== undefined) parts.push(`opaque=${quote(p['opaque'])}`);
    if (userhash) parts.push('userhash=true');
    return `Digest ${parts.join(', ')}`;
  }
}

function hash(algorithm: string, text: string): string {
  return createHash(algorithm).update(text, 'utf8').digest('hex');
}

/** RFC 7230 §3.2.6 quoted-string: escape backslash and double quote. */
function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
