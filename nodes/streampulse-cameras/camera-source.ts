/**
 * Where a camera list comes from, as one subscribable source: a YAML file that is watched and
 * hot-reloaded, or the list edited in the Node-RED dialog. Subscribers (stream-probe nodes) get
 * the current state at once and every change after; an invalid file keeps the last good list.
 */
import { resolve } from 'node:path';
import { StreamsFileWatcher, validateStreamList } from '../lib/config/index.js';
import type { StreamConfig, StreamsConfig } from '../lib/config/index.js';

/** `file`: the streams file's absolute path when the list comes from one (the dashboard edits it). */
export type SourceState =
  | { ok: true; streams: StreamConfig[]; timezone?: string; warnings: string[]; file?: string }
  | { ok: false; errors: string[]; lastGood?: StreamConfig[]; file?: string };

export type SourceListener = (state: SourceState) => void;

export class CameraSource {
  private state: SourceState = { ok: false, errors: ['camera list not loaded yet'] };
  private readonly listeners = new Set<SourceListener>();
  private watcher: StreamsFileWatcher | undefined;
  private good: StreamConfig[] | undefined;
  private file: string | undefined;

  /** A watched YAML file. Resolves once the first load is done (valid or not). */
  static async fromFile(path: string): Promise<CameraSource> {
    const source = new CameraSource();
    source.file = resolve(path);
    const watcher = new StreamsFileWatcher(path, {
      onChange: (config) => source.apply(config),
      onError: (errors) => source.fail(errors),
    });
    source.watcher = watcher;
    const first = await watcher.start();
    if (first.ok) source.apply(first.config);
    else source.fail(first.errors);
    return source;
  }

  /** The list from the editor dialog; `rows` already carry their passwords. */
  static fromList(rows: readonly unknown[], defaultIntervalSeconds: number | undefined): CameraSource {
    const source = new CameraSource();
    const result = validateStreamList(rows, 'camera list', defaultIntervalSeconds !== undefined ? { defaultIntervalSeconds } : {});
    if (result.ok) source.apply({ heartbeatSeconds: defaultIntervalSeconds ?? 15, streams: result.streams }, result.warnings);
    else source.fail(result.errors);
    return source;
  }

  current(): SourceState {
    return this.state;
  }

  /** Calls `listener` now with the current state and on every change; returns the unsubscribe. */
  subscribe(listener: SourceListener): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
  }

  private apply(config: StreamsConfig, warnings: string[] = []): void {
    this.good = config.streams;
    this.publish({
      ok: true,
      streams: config.streams,
      ...(config.timezone ? { timezone: config.timezone } : {}),
      warnings,
      ...(this.file !== undefined ? { file: this.file } : {}),
    });
  }

  private fail(errors: string[]): void {
    // An invalid file keeps its path: the dashboard is where it can be fixed.
    this.publish({ ok: false, errors, ...(this.good ? { lastGood: this.good } : {}), ...(this.file !== undefined ? { file: this.file } : {}) });
  }

  private publish(state: SourceState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
