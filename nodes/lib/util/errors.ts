import type { ProbeCode } from '../heartbeat.js';

/** A probe failure with its honest code. The message must already be free of secrets. */
export class ProbeError extends Error {
  override readonly name = 'ProbeError';
  constructor(
    readonly code: ProbeCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return undefined;
}

function isTlsError(err: unknown, code: string | undefined): boolean {
  if (code === undefined) return false;
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('CERT_')) return true;
  if (code === 'EPROTO' || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') return true;
  if (code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') return true;
  return err instanceof Error && /\b(ssl|tls)\b/i.test(err.message) && code !== 'ECONNRESET';
}

/**
 * Maps a socket/HTTP-client error to a probe code. `answered` tells whether the peer had sent
 * anything yet: a reset before the first byte is how many cameras turn away a client when their
 * connection limit is reached (`refused`); a reset later is a broken exchange (`protocol_error`).
 */
export function classifyNetworkError(err: unknown, where: string, answered: boolean): ProbeError {
  if (err instanceof ProbeError) return err;
  const cause = (err as { cause?: unknown } | null)?.cause;
  let code = errorCode(err);
  // undici wraps the socket error: look one level down for the real cause.
  if ((code === undefined || code === 'UND_ERR_SOCKET') && cause !== undefined) code = errorCode(cause) ?? code;
  const detail = code ?? (err instanceof Error ? err.message : String(err));
  if (code === 'ECONNREFUSED') return new ProbeError('refused', `connection refused by ${where}`, { cause: err });
  if (code !== undefined && DNS.has(code)) return new ProbeError('dns', `cannot resolve host of ${where} (${code})`, { cause: err });
  if (code !== undefined && UNREACHABLE.has(code)) return new ProbeError('unreachable', `${where} is unreachable (${code})`, { cause: err });
  if (code !== undefined && TIMEOUT.has(code)) return new ProbeError('timeout', `${where} did not answer in time (${code})`, { cause: err });
  if (isTlsError(err, code) || isTlsError(cause, errorCode(cause))) {
    return new ProbeError('tls', `TLS handshake with ${where} failed (${detail})`, { cause: err });
  }
  if (code !== undefined && RESET.has(code)) {
    return answered
      ? new ProbeError('protocol_error', `${where} closed the connection mid-exchange (${code})`, { cause: err })
      : new ProbeError('refused', `${where} reset the connection before answering (${code}; client limit reached?)`, { cause: err });
  }
  return new ProbeError('protocol_error', `${where}: ${detail}`, { cause: err });
}
