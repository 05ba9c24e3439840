/**
 * Replaces a file so that a reader (the streams-file watcher, a power cut) sees either the old
 * or the new content, never a half-written or empty file: write a temporary file in the same
 * directory, fsync it, rename it over the target (atomic within one filesystem, POSIX
 * rename(2)), then fsync the directory so the rename itself is durable. StreamPulse v2.2 wrote
 * its config in place and could lose every stream on a crash mid-write.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Mode of a new file: a streams file may hold camera passwords. */
export const NEW_FILE_MODE = 0o600;

export async function writeFileAtomic(path: string, content: string): Promise<void> {
  // A symlinked streams file (a config directory elsewhere) is replaced at its target, keeping the link.
  const target = await realpath(path).catch(() => path);
  const mode = await stat(target).then((s) => s.mode & 0o7777, () => NEW_FILE_MODE);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // open() applied the umask; the replacement keeps exactly the old file's mode.
    await chmod(temp, mode);
    await rename(temp, target);
    renamed = true;
  } finally {
    if (!renamed) await rm(temp, { force: true }).catch(() => undefined);
  }
  await syncDirectory(dirname(target));
}

/** Best effort: some filesystems (and Windows) cannot open or fsync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The rename is done; only its durability across a power cut is less certain here.
  }
}
