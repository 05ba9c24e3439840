/**
 * The streams file editor's endpoints: GET api/streams-file (the YAML with every password
 * masked), POST api/streams-file/check (validation with line numbers) and PUT api/streams-file
 * (restore the masked passwords, validate, write atomically). The `etag` is a digest of the file
 * on disk: a save based on an older version is refused with 409 instead of silently undoing
 * someone else's change (the Home Assistant app, a text editor, another browser tab).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeFileAtomic } from '../config/atomic-write.js';
import { parseStreamsConfig } from '../config/load.js';
import { MAX_FILE_BYTES } from '../config/read-file.js';
import { maskSecrets, restoreSecrets } from '../config/secrets.js';
import { redactText } from '../util/redact.js';
import { checkWrite } from './csrf.js';
import { jsonBody, stringField } from './request-body.js';
import { HttpError, json } from './respond.js';
import type { ApiContext, ApiRequest, ApiResponse } from './types.js';

/** The etag of a streams file that does not exist yet: a PUT with it creates the file. */
export const MISSING_ETAG = 'none';
const DEFAULT_NAME = 'streams.yaml';

export interface Problem {
  line: number | null;
  message: string;
}

interface Examined {
  /** The text to write: the edited one with the saved passwords back in. */
  text: string;
  errors: Problem[];
  warnings: Problem[];
}

export async function getStreamsFile(ctx: ApiContext): Promise<ApiResponse> {
  const file = requireFile(ctx);
  const current = await readCurrent(file);
  return json({ text: maskSecrets(current.text), etag: current.etag, name: basename(file) });
}

export async function checkStreamsFile(ctx: ApiContext, req: ApiRequest): Promise<ApiResponse> {
  const text = stringField(jsonBody(req), 'text');
  const file = ctx.cameras?.()?.file;
  // With a file, the check also tells whether every "********" can be restored on save.
  const saved = file ? (await readCurrent(file)).text : undefined;
  const report = examine(text, saved, file ? basename(file) : DEFAULT_NAME);
  return json({ ok: report.errors.length === 0, errors: report.errors, warnings: report.warnings });
}

export async function putStreamsFile(ctx: ApiContext, req: ApiRequest): Promise<ApiResponse> {
  checkWrite(req, ctx);
  const file = requireFile(ctx);
  const body = jsonBody(req);
  const text = stringField(body, 'text');
  const etag = stringField(body, 'etag');
  return withLock(file, async () => {
    const current = await readCurrent(file);
    if (etag !== current.etag) {
      throw new HttpError(409, 'the streams file was changed by someone else since it was loaded: reload it and apply your edits again');
    }
    const report = examine(text, current.text, basename(file));
    if (report.errors.length > 0) {
      return json({ ok: false, error: 'the streams file is not valid; nothing was saved', errors: report.errors, warnings: report.warnings }, 400);
    }
    if (report.text !== current.text || !current.exists) await save(file, report.text);
    return json({ ok: true, etag: etagOf(report.text), warnings: report.warnings });
  });
}

async function save(file: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(file, text);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    throw new HttpError(500, `cannot write ${basename(file)} (${typeof code === 'string' ? code : 'error'}); the file on disk is unchanged`);
  }
}

function requireFile(ctx: ApiContext): string {
  const file = ctx.cameras?.()?.file;
  if (!file) throw new HttpError(404, 'the camera list is not a streams file (or no camera list is connected to this heartbeat-store)');
  return file;
}

/** Restores the masked passwords (when there is a saved file), then validates like the loader. */
function examine(text: string, saved: string | undefined, fileName: string): Examined {
  const restored = saved !== undefined ? restoreSecrets(text, saved) : { ok: true as const, text };
  // Validated even when a password cannot be restored, so every problem shows at once.
  const real = restored.ok ? restored.text : text;
  const result = parseStreamsConfig(real, fileName);
  const errors: Problem[] = [...(restored.ok ? [] : restored.errors), ...(result.ok ? [] : problems(result.errors, fileName))];
  errors.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  return { text: real, errors, warnings: result.ok ? problems(result.warnings, fileName) : [] };
}

/** `streams.yaml:12: streams[3].url: …` → `{ line: 12, message: 'streams[3].url: …' }`. */
function problems(messages: readonly string[], fileName: string): Problem[] {
  return messages.map((raw) => {
    const text = redactText(raw);
    const rest = text.startsWith(`${fileName}:`) ? text.slice(fileName.length + 1) : text;
    const m = /^(\d+): ([\s\S]*)$/.exec(rest);
    return m ? { line: Number(m[1]), message: m[2] ?? '' } : { line: null, message: rest.trim() };
  });
}

interface Current {
  text: string;
  etag: string;
  exists: boolean;
}

async function readCurrent(file: string): Promise<Current> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new HttpError(500, `${basename(file)} is not a regular file`);
    if (info.size > MAX_FILE_BYTES) throw new HttpError(413, `${basename(file)} is larger than ${MAX_FILE_BYTES} bytes`);
    const text = await readFile(file, 'utf8');
    return { text, etag: etagOf(text), exists: true };
  } catch (err) {
    if (err instanceof HttpError) throw err;
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ENOENT') return { text: '', etag: MISSING_ETAG, exists: false };
    throw new HttpError(500, `cannot read ${basename(file)} (${typeof code === 'string' ? code : 'error'})`);
  }
}

export function etagOf(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

// Saves of the same file run one at a time, so the etag check and the write are one step.
const locks = new Map<string, Promise<unknown>>();

async function withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = locks.get(key) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(work);
  locks.set(key, mine);
  try {
    return await mine;
  } finally {
    if (locks.get(key) === mine) locks.delete(key);
  }
}
