/** Default ports, so `rtsp://cam/x` and `rtsp://cam:554/x` count against the same camera. */
const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  'rtsp:': '554',
  // RTSP over TLS: https://www.rfc-editor.org/rfc/rfc7826#section-19.2 (rtsps default port 322)
  'rtsps:': '322',
  'http:': '80',
  'https:': '443',
};

/**
 * The connection-limit key of a stream: hostname + port, lower-case, credentials ignored. Many
 * cameras of one NVR share it, and so share its per-host cap. An unparsable URL is its own key
 * (config validation rejects those long before the scheduler sees them).
 */
export function hostKey(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol] || '';
  return `${parsed.hostname.toLowerCase()}:${port}`;
}
