/**
 * Where a camera URL carries a secret: the password of its userinfo (`rtsp://user:pw@host`) and
 * password-like query values (`?token=…`, the same names redact.ts masks). Found by position in
 * the text as written, so masking and restoring change nothing else in the URL (no
 * normalisation by a URL parser).
 */

export interface UrlSecret {
  /** `userinfo`, or `query:<name>:<n>` for the n-th query parameter of that name. */
  slot: string;
  start: number;
  end: number;
  value: string;
}

const SCHEME = /^\s*[a-z][a-z0-9+.-]*:\/\//i;
const SECRET_QUERY = /[?&](pass(?:word)?|pwd|token|auth|key|secret|api_?key)=([^&#\s]*)/gi;

export function findUrlSecrets(text: string): UrlSecret[] {
  const scheme = SCHEME.exec(text);
  if (!scheme) return [];
  const secrets: UrlSecret[] = [];
  const from = scheme[0].length;
  const userinfo = userinfoPassword(text, from);
  if (userinfo) secrets.push({ slot: 'userinfo', ...userinfo, value: text.slice(userinfo.start, userinfo.end) });
  const counts = new Map<string, number>();
  const rest = userinfo ? userinfo.end : from;
  for (const m of text.slice(rest).matchAll(SECRET_QUERY)) {
    const name = (m[1] ?? '').toLowerCase();
    const n = counts.get(name) ?? 0;
    counts.set(name, n + 1);
    const end = rest + (m.index ?? 0) + m[0].length;
    const value = m[2] ?? '';
    if (value !== '') secrets.push({ slot: `query:${name}:${n}`, start: end - value.length, end, value });
  }
  return secrets;
}

/**
 * The password's span. The WHATWG URL parser ends the userinfo at the LAST `@` of the authority,
 * so `user:p@ss@host` has the password `p@ss`. A password with a raw `/`, `?` or `#` makes the
 * URL invalid, but it is still a password on screen: `user:x/y@host` is masked up to the `@`
 * as well, unless what follows the colon is a port (`host:8080/x?mail=a@b`).
 */
function userinfoPassword(text: string, from: number): { start: number; end: number } | undefined {
  const stop = /[/?#\s]/.exec(text.slice(from));
  const authorityEnd = stop ? from + stop.index : text.length;
  const authority = text.slice(from, authorityEnd);
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const colon = authority.slice(0, at).indexOf(':');
    return colon < 0 ? undefined : { start: from + colon + 1, end: from + at };
  }
  const colon = authority.indexOf(':');
  if (colon < 0 || /^\d*$/.test(authority.slice(colon + 1))) return undefined;
  const space = /\s/.exec(text.slice(from));
  const lastAt = text.slice(0, space ? from + space.index : text.length).lastIndexOf('@');
  return lastAt > from + colon ? { start: from + colon + 1, end: lastAt } : undefined;
}

export type UrlReplace = { ok: true; value: string } | { ok: false; missing: string };

/**
 * Puts values into `text`'s secret slots: with `all`, into every slot that `values` has; else
 * only into slots that say `mask`, each of which must be in `values`.
 */
export function replaceUrlSecrets(text: string, values: readonly UrlSecret[], all = false, mask = '********'): UrlReplace {
  let out = text;
  const slots = findUrlSecrets(text).sort((a, b) => b.start - a.start);
  for (const slot of slots) {
    if (!all && slot.value !== mask) continue;
    const value = values.find((v) => v.slot === slot.slot)?.value;
    if (value === undefined) {
      if (all) continue;
      return { ok: false, missing: slot.slot === 'userinfo' ? 'password' : `${slot.slot.split(':')[1] ?? ''} parameter` };
    }
    out = out.slice(0, slot.start) + value + out.slice(slot.end);
  }
  return { ok: true, value: out };
}
