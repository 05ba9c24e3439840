/** Types and helpers of the camera-list config node shared with the nodes that use it. */
import { isAbsolute, join } from 'node:path';
import type { Node } from '../shared/node-red.js';
import type { SourceListener } from './camera-source.js';

export const CAMERAS_TYPE = 'streampulse-cameras';

/** One row of the editor list (no password: that is in credentials.passwords by row key). */
export interface EditorRow {
  key?: string;
  /** Editor bookkeeping too (shows the "saved" placeholder); not a stream field. */
  hasPassword?: boolean;
  [field: string]: unknown;
}

export interface CamerasCredentials {
  /** JSON object: row key → password. */
  passwords: string;
}

/** What stream-probe nodes see of this config node. */
export interface CamerasNode extends Node<CamerasCredentials> {
  subscribe(listener: SourceListener): () => void;
}

/** Relative paths are relative to Node-RED's user directory, where flows and the database live. */
export function resolvePath(path: string | undefined, userDir: string | undefined): string {
  const raw = path?.trim() || 'streams.yaml';
  if (isAbsolute(raw)) return raw;
  return join(userDir ?? process.cwd(), raw);
}

/** Editor rows plus their passwords from credentials; the row key and hasPassword are editor bookkeeping only. */
export function rowsWithPasswords(rows: readonly EditorRow[], passwordsJson: string | undefined): unknown[] {
  let passwords: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(passwordsJson || '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) passwords = parsed as Record<string, unknown>;
  } catch {
    // A damaged credential blob must not take the list down: the affected cameras fail auth.
  }
  return rows.map(({ key, hasPassword: _hasPassword, ...row }) => {
    const password = key !== undefined ? passwords[key] : undefined;
    return typeof password === 'string' && password !== '' ? { ...row, password } : row;
  });
}

export function numberOrUndefined(value: number | string | undefined): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}
