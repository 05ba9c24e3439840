/**
 * Hot reload of a streams file. Watches the file's DIRECTORY, because editors and the Home
 * Assistant app replace the file by renaming a new one over it, and a watch on the old inode
 * would go deaf after the first save. fs.watch misses events on some network filesystems and
 * Docker bind mounts, so a slow poll of (inode, size, mtime) backs it up. Only a valid file is
 * applied; an invalid one leaves the last good list in force and is reported.
 */
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { diffStreams, sameConfig } from './diff.js';
import type { StreamsDiff } from './diff.js';
import { parseStreamsConfig } from './load.js';
import { readStreamsFileText, statSignature } from './read-file.js';
import type { Env, LoadResult, StreamsConfig } from './types.js';

/** The timer functions the watcher uses (injectable for tests). */
export interface WatchClock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const systemClock: WatchClock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface StreamsFileWatcherOptions {
  /** Quiet time after the last file event before the file is read (default 500 ms). */
  debounceMs?: number;
  /** Fallback poll period (default 5,000 ms; 0 turns polling off). */
  pollMs?: number;
  /** false: rely on polling alone (filesystems where fs.watch is known to be deaf). Default true. */
  watch?: boolean;
  /**
   * A new valid list was applied. Also called, possibly with an empty diff, when a valid file
   * follows an invalid one, so a status showing the error can be cleared.
   */
  onChange: (config: StreamsConfig, diff: StreamsDiff, warnings: string[]) => void;
  /** The file became invalid or unreadable; the last good list stays in force. */
  onError: (errors: string[]) => void;
  clock?: WatchClock;
  /** Resolves `${VAR}` credentials (default process.env). */
  env?: Env;
}

export class StreamsFileWatcher {
  private readonly dir: string;
  private readonly base: string;
  private readonly debounceMs: number;
  private readonly pollMs: number;
  private readonly useFsWatch: boolean;
  private readonly clock: WatchClock;
  private state: 'new' | 'running' | 'closed' = 'new';
  private fsWatcher: FSWatcher | undefined;
  private debounceTimer: unknown;
  private pollTimer: unknown;
  /** The read or stat in flight; reloads never overlap. */
  private busy: Promise<void> | undefined;
  private reloadWanted = false;
  /** Digest of the last content processed (valid or not), or the last read error. */
  private lastSeen: string | undefined;
  private lastSignature: string | undefined;
  private good: StreamsConfig | undefined;
  private failing = false;

  constructor(
    readonly path: string,
    private readonly options: StreamsFileWatcherOptions,
  ) {
    this.dir = dirname(path);
    this.base = basename(path);
    this.debounceMs = options.debounceMs ?? 500;
    this.pollMs = options.pollMs ?? 5000;
    this.useFsWatch = options.watch ?? true;
    this.clock = options.clock ?? systemClock;
  }

  /** The list in force: the last valid file seen, if any. */
  get current(): StreamsConfig | undefined {
    return this.good;
  }

  /**
   * Loads the file and starts watching, also when the first load fails (the user may fix the
   * file later; the fix then arrives through onChange). The first result is returned, not
   * passed to the callbacks.
   */
  async start(): Promise<LoadResult> {
    if (this.state !== 'new') throw new Error('StreamsFileWatcher.start() may only be called once, before close()');
    this.state = 'running';
    this.watchDirectory();
    if (this.pollMs > 0) this.pollTimer = this.clock.setInterval(() => this.poll(), this.pollMs);
    let first: LoadResult = { ok: false, errors: [`${this.path}: the watcher was closed during the first load`] };
    this.busy = this.initialLoad().then((result) => {
      first = result;
    });
    await this.busy.finally(() => this.settle());
    return first;
  }

  /** Stops watching and polling; resolves once a read in flight has finished. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
    if (this.debounceTimer !== undefined) this.clock.clearTimeout(this.debounceTimer);
    if (this.pollTimer !== undefined) this.clock.clearInterval(this.pollTimer);
    this.debounceTimer = undefined;
    this.pollTimer = undefined;
    await this.busy?.catch(() => undefined);
  }

  private watchDirectory(): void {
    if (!this.useFsWatch) return;
    try {
      const watcher = watch(this.dir, { persistent: true }, (_event, filename) => {
        // Some platforms omit the name; then any event in the directory may be ours.
        if (filename === null || filename === this.base) this.schedule();
      });
      watcher.on('error', () => {
        // The directory went away or the watch broke: polling carries on and retries the watch.
        watcher.close();
        if (this.fsWatcher === watcher) this.fsWatcher = undefined;
      });
      this.fsWatcher = watcher;
    } catch {
      // No such directory yet, or the inotify watch limit is reached: polling still sees changes.
      this.fsWatcher = undefined;
    }
  }

  /** Trailing debounce: a save that arrives as several events is read once, after it settles. */
  private schedule(): void {
    if (this.state !== 'running') return;
    if (this.debounceTimer !== undefined) this.clock.clearTimeout(this.debounceTimer);
    this.debounceTimer = this.clock.setTimeout(() => {
      this.debounceTimer = undefined;
      this.reloadNow();
    }, this.debounceMs);
  }

  private reloadNow(): void {
    if (this.state !== 'running') return;
    if (this.busy !== undefined) {
      this.reloadWanted = true;
      return;
    }
    this.busy = this.reload()
      .catch((err: unknown) => this.emitError([`${this.path}: reload failed: ${err instanceof Error ? err.message : String(err)}`]))
      .finally(() => this.settle());
  }

  private poll(): void {
    if (this.state !== 'running' || this.busy !== undefined) return;
    if (this.fsWatcher === undefined) this.watchDirectory();
    this.busy = statSignature(this.path)
      .then((signature) => {
        if (signature === this.lastSignature) return;
        this.lastSignature = signature;
        this.schedule();
      })
      .finally(() => this.settle());
  }

  /** Runs the reload that was asked for while another read was in flight. */
  private settle(): void {
    this.busy = undefined;
    if (this.reloadWanted && this.state === 'running') {
      this.reloadWanted = false;
      this.reloadNow();
    }
  }

  private async initialLoad(): Promise<LoadResult> {
    const file = await readStreamsFileText(this.path);
    if (!file.ok) {
      this.lastSeen = `unreadable:${file.error}`;
      // A file that exists but cannot be read keeps its signature: polls must not re-read it in a loop.
      this.lastSignature = await statSignature(this.path);
      this.failing = true;
      return { ok: false, errors: [file.error] };
    }
    this.lastSeen = digest(file.text);
    this.lastSignature = file.signature;
    const result = parseStreamsConfig(file.text, this.path, this.options.env);
    this.failing = !result.ok;
    if (result.ok) this.good = result.config;
    return result;
  }

  private async reload(): Promise<void> {
    const file = await readStreamsFileText(this.path);
    if (this.state !== 'running') return;
    if (!file.ok) {
      const seen = `unreadable:${file.error}`;
      this.lastSignature = await statSignature(this.path);
      if (this.state !== 'running' || seen === this.lastSeen) return;
      this.lastSeen = seen;
      this.failing = true;
      this.emitError([file.error]);
      return;
    }
    this.lastSignature = file.signature;
    const seen = digest(file.text);
    if (seen === this.lastSeen) return;
    this.lastSeen = seen;
    const result = parseStreamsConfig(file.text, this.path, this.options.env);
    if (!result.ok) {
      this.failing = true;
      this.emitError(result.errors);
      return;
    }
    const before = this.good;
    this.good = result.config;
    // A comment or formatting edit changes the bytes but not the list: nothing to apply.
    if (!this.failing && before !== undefined && sameConfig(before, result.config)) return;
    this.failing = false;
    this.emitChange(result.config, diffStreams(before?.streams ?? [], result.config.streams), result.warnings);
  }

  // A throwing handler must not kill the runtime from inside a timer; it is reported instead.
  private emitChange(config: StreamsConfig, diff: StreamsDiff, warnings: string[]): void {
    try {
      this.options.onChange(config, diff, warnings);
    } catch (err) {
      this.emitError([`${this.path}: the onChange handler failed: ${err instanceof Error ? err.message : String(err)}`]);
    }
  }

  private emitError(errors: string[]): void {
    if (this.state !== 'running') return;
    try {
      this.options.onError(errors);
    } catch {
      // Nothing left to report to.
    }
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
