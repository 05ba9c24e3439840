/** Reads the streams file with errors a user can act on (missing, unreadable, not a file, huge). */
import { readFile, stat } from 'node:fs/promises';

/** 10,000 cameras take about 2 MB of YAML; anything far beyond is not a camera list. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * `signature` identifies the file version cheaply (inode, size, mtime): a watcher polls it and
 * reads the file only when it moves.
 */
export type FileText = { ok: true; text: string; signature: string } | { ok: false; error: string };

export async function readStreamsFileText(path: string): Promise<FileText> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) return { ok: false, error: `${path}: is a directory, not a streams file` };
    if (info.size > MAX_FILE_BYTES) {
      return { ok: false, error: `${path}: is ${info.size} bytes; a streams file may be at most ${MAX_FILE_BYTES}` };
    }
    return { ok: true, text: await readFile(path, 'utf8'), signature: fileSignature(info) };
  } catch (err) {
    return { ok: false, error: `${path}: ${describeFsError(err)}` };
  }
}

export function fileSignature(info: { ino: number; size: number; mtimeMs: number }): string {
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
}

/** The signature of the file now, or 'missing' when it cannot be stat'ed. */
export async function statSignature(path: string): Promise<string> {
  try {
    return fileSignature(await stat(path));
  } catch {
    return 'missing';
  }
}

function describeFsError(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read the file (permission denied)';
    case 'EISDIR':
      return 'is a directory, not a streams file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return `cannot read the file (${typeof code === 'string' ? code : err instanceof Error ? err.message : String(err)})`;
  }
}
