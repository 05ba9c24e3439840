/**
 * Credentials never leave the process: every URL that is logged, published, stored or shown
 * passes through `redactUrl`, and every free text that may quote a URL (an error message, ffprobe's
 * stderr) through `redactText`.
 */

const MASK = '***';

/** `rtsp://user:pw@host/x` → `rtsp://user:***@host/x`; also masks password-like query values. */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return redactText(raw);
  }
  if (url.password) url.password = MASK;
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) url.searchParams.set(key, MASK);
  }
  // URL encodes the mask in the userinfo; keep it readable.
  return url.toString().replace(/%2A%2A%2A/g, MASK);
}

const SECRET_PARAM = /^(pass(word)?|pwd|token|auth|key|secret|api_?key)$/i;

/**
 * Masks the userinfo password of every URL-looking run in `text`, password query parameters,
 * and every literal secret passed in `secrets` (for messages that quote a password without a URL).
 */
export function redactText(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):([^@\s/]*)@/gi, `$1:${MASK}@`);
  out = out.replace(/([?&](?:pass(?:word)?|pwd|token|auth|key|secret|api_?key)=)[^&\s]*/gi, `$1${MASK}`);
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join(MASK);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join(MASK);
  }
  return out;
}
