import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import type { StreamsDiff } from '../../../nodes/lib/config/diff.js';
import type { StreamsConfig } from '../../../nodes/lib/config/types.js';
import { StreamsFileWatcher } from '../../../nodes/lib/config/watch.js';
import type { StreamsFileWatcherOptions, WatchClock } from '../../../nodes/lib/config/watch.js';
import { sleep, waitFor } from './helpers.js';

const DEBOUNCE_MS = 60;
const POLL_MS = 100;
/** Long enough for the debounce, several polls and stray fs events to have come and gone. */
const SETTLE_MS = 400;

const V1 = 'streams:\n  - {name: A, url: "rtsp://a/x"}\n  - {name: B, url: "rtsp://b/x"}\n';
const V2 = 'streams:\n  - {name: A, url: "rtsp://a/x", interval: 5}\n  - {name: C, url: "rtsp://c/x"}\n';

interface Recorder {
  changes: { config: StreamsConfig; diff: StreamsDiff; warnings: string[] }[];
  errors: string[][];
  options: StreamsFileWatcherOptions;
}

function recorder(extra: Partial<StreamsFileWatcherOptions> = {}): Recorder {
  const rec: Recorder = {
    changes: [],
    errors: [],
    options: {
      debounceMs: DEBOUNCE_MS,
      pollMs: POLL_MS,
      env: {},
      onChange: (config, diff, warnings) => rec.changes.push({ config, diff, warnings }),
      onError: (errors) => rec.errors.push(errors),
      ...extra,
    },
  };
  return rec;
}

const ids = (list: { id: string }[]): string[] => list.map((s) => s.id);

/** Counts the handle kinds a watcher may own (fs.watch → FSEventWrap, timers → Timeout). */
function watcherHandles(): Record<string, number> {
  const counts: Record<string, number> = { FSEventWrap: 0, Timeout: 0, StatWatcher: 0, FileHandle: 0 };
  for (const name of process.getActiveResourcesInfo()) if (name in counts) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

describe('StreamsFileWatcher', () => {
  let dir = '';
  let file = '';
  let watcher: StreamsFileWatcher | undefined;
  let n = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streampulse-watch-'));
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function startWith(text: string, extra: Partial<StreamsFileWatcherOptions> = {}): Promise<Recorder> {
    file = join(dir, `streams-${++n}.yaml`);
    await writeFile(file, text);
    const rec = recorder(extra);
    watcher = new StreamsFileWatcher(file, rec.options);
    const first = await watcher.start();
    assert.ok(first.ok, 'the first load succeeds');
    return rec;
  }

  it('start() returns the first load and does not call the callbacks for it', async () => {
    const rec = await startWith(V1);
    assert.deepEqual(ids(watcher?.current?.streams ?? []), ['a', 'b']);
    await sleep(SETTLE_MS);
    assert.equal(rec.changes.length, 0);
    assert.equal(rec.errors.length, 0);
  });

  it('an atomic replace (write temp + rename) triggers exactly one onChange after the debounce', async () => {
    const rec = await startWith(V1);
    const temp = join(dir, `.streams-${n}.yaml.tmp`);
    await writeFile(temp, V2);
    const renamedAt = Date.now();
    await rename(temp, file);
    await waitFor(() => rec.changes.length > 0, 'onChange');
    assert.ok(Date.now() - renamedAt >= DEBOUNCE_MS - 5, 'not before the debounce');
    await sleep(SETTLE_MS);
    assert.equal(rec.changes.length, 1);
    const { diff, config } = rec.changes[0] ?? assert.fail();
    assert.deepEqual(ids(diff.added), ['c']);
    assert.deepEqual(ids(diff.removed), ['b']);
    assert.deepEqual(ids(diff.changed), ['a']);
    assert.deepEqual(ids(diff.unchanged), []);
    assert.equal(config.streams[0]?.intervalMs, 5000);
    assert.equal(watcher?.current, config);
    assert.equal(rec.errors.length, 0);
  });

  it('an in-place write triggers exactly one onChange', async () => {
    const rec = await startWith(V1);
    await writeFile(file, V2);
    await waitFor(() => rec.changes.length > 0, 'onChange');
    await sleep(SETTLE_MS);
    assert.equal(rec.changes.length, 1);
    assert.deepEqual(ids(rec.changes[0]?.diff.added ?? []), ['c']);
  });

  it('a burst of writes is read once', async () => {
    // A longer debounce than the other tests, so a loaded CI machine cannot split the burst.
    const rec = await startWith(V1, { debounceMs: 300 });
    for (let i = 1; i <= 5; i++) {
      await writeFile(file, V2.replace('interval: 5', `interval: ${i}`));
      await sleep(5);
    }
    await waitFor(() => rec.changes.length > 0, 'onChange');
    await sleep(SETTLE_MS);
    assert.equal(rec.changes.length, 1);
    assert.equal(rec.changes[0]?.config.streams[0]?.intervalMs, 5000);
  });

  it('an invalid file keeps the last good list and calls onError; the fix then applies', async () => {
    const rec = await startWith(V1);
    const good = watcher?.current;
    await writeFile(file, 'streams:\n  - {name: A, url: "ftp://a/x"}\n');
    await waitFor(() => rec.errors.length > 0, 'onError');
    assert.deepEqual(rec.errors[0], [`${file}:2: streams[0].url: must start with rtsp://, rtsps://, http:// or https://`]);
    assert.equal(watcher?.current, good, 'the last good list stays in force');
    assert.equal(rec.changes.length, 0);

    // Going back to the very list in force still reports recovery (so a status can clear).
    await writeFile(file, V1);
    await waitFor(() => rec.changes.length > 0, 'onChange after the fix');
    await sleep(SETTLE_MS);
    assert.equal(rec.changes.length, 1);
    assert.equal(rec.errors.length, 1);
    assert.deepEqual(ids(rec.changes[0]?.diff.unchanged ?? []), ['a', 'b']);
  });

  it('a deleted file is an error; its return is a change', async () => {
    const rec = await startWith(V1);
    await unlink(file);
    await waitFor(() => rec.errors.length > 0, 'onError');
    assert.deepEqual(rec.errors[0], [`${file}: file not found`]);
    assert.deepEqual(ids(watcher?.current?.streams ?? []), ['a', 'b']);
    await writeFile(file, V2);
    await waitFor(() => rec.changes.length > 0, 'onChange');
    assert.deepEqual(ids(rec.changes[0]?.diff.added ?? []), ['c']);
  });

  it('ignores rewrites with identical content and edits that leave the list equal', async () => {
    const rec = await startWith(V1);
    await writeFile(file, V1);
    await sleep(SETTLE_MS);
    await writeFile(file, `# a comment\n${V1}`);
    await sleep(SETTLE_MS);
    assert.equal(rec.changes.length, 0);
    assert.equal(rec.errors.length, 0);
    await writeFile(file, V2);
    await waitFor(() => rec.changes.length > 0, 'onChange');
  });

  it('ignores other files in the directory', async () => {
    const rec = await startWith(V1);
    await writeFile(join(dir, 'unrelated.yaml'), 'garbage: [');
    await sleep(SETTLE_MS);
    assert.equal(rec.changes.length + rec.errors.length, 0);
  });

  it('polling alone sees changes (fs.watch deaf, as on some network mounts)', async () => {
    const rec = await startWith(V1, { watch: false });
    await writeFile(file, V2);
    await waitFor(() => rec.changes.length > 0, 'onChange from polling');
    assert.deepEqual(ids(rec.changes[0]?.diff.added ?? []), ['c']);
  });

  it('a file that does not exist at start is picked up when it appears', async () => {
    file = join(dir, `late-${++n}.yaml`);
    const rec = recorder();
    watcher = new StreamsFileWatcher(file, rec.options);
    assert.deepEqual(await watcher.start(), { ok: false, errors: [`${file}: file not found`] });
    assert.equal(watcher.current, undefined);
    await writeFile(file, V1);
    await waitFor(() => rec.changes.length > 0, 'onChange');
    assert.deepEqual(ids(rec.changes[0]?.diff.added ?? []), ['a', 'b']);
  });

  it('a throwing onChange is reported through onError, not thrown from a timer', async () => {
    const rec = await startWith(V1, {
      onChange: () => {
        throw new Error('handler broke');
      },
    });
    await writeFile(file, V2);
    await waitFor(() => rec.errors.length > 0, 'onError');
    assert.deepEqual(rec.errors[0], [`${file}: the onChange handler failed: handler broke`]);
    assert.deepEqual(ids(watcher?.current?.streams ?? []), ['a', 'c']);
  });

  it('close() leaves no handles and no callback fires afterwards', async () => {
    await sleep(20); // the previous test's watcher handle is released on a later loop turn
    const baseline = watcherHandles();
    const rec = await startWith(V1);
    const running = watcherHandles();
    assert.equal(running.FSEventWrap, (baseline.FSEventWrap ?? 0) + 1, 'one directory watch while running');
    assert.ok((running.Timeout ?? 0) > (baseline.Timeout ?? 0), 'the poll timer runs');
    await writeFile(file, V2); // leaves a debounce timer pending
    await sleep(5);
    await watcher?.close();
    // libuv releases a closed handle in the close phase of the current loop turn.
    await waitFor(() => isDeepStrictEqual(watcherHandles(), baseline), 'the handles to be released', 1000);
    await writeFile(file, V1);
    await sleep(SETTLE_MS);
    assert.equal(rec.changes.length, 0);
    assert.equal(rec.errors.length, 0);
    await watcher?.close(); // idempotent
    await assert.rejects(() => (watcher ?? assert.fail()).start(), /only be called once/);
  });
});

/** Timers that fire only when the test says so. */
class ManualClock implements WatchClock {
  private next = 1;
  readonly timeouts = new Map<number, { callback: () => void; ms: number }>();
  readonly intervals = new Map<number, () => void>();
  setTimeout(callback: () => void, ms: number): number {
    const id = this.next++;
    this.timeouts.set(id, { callback, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timeouts.delete(handle as number);
  }
  setInterval(callback: () => void): number {
    const id = this.next++;
    this.intervals.set(id, callback);
    return id;
  }
  clearInterval(handle: unknown): void {
    this.intervals.delete(handle as number);
  }
  fireTimeouts(): void {
    const due = [...this.timeouts.values()];
    this.timeouts.clear();
    for (const t of due) t.callback();
  }
  tickIntervals(): void {
    for (const callback of this.intervals.values()) callback();
  }
}

describe('StreamsFileWatcher with an injected clock', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streampulse-watch-clock-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps one debounce timer per burst and reads only when it fires', async () => {
    const file = join(dir, 'streams.yaml');
    await writeFile(file, V1);
    const clock = new ManualClock();
    const rec = recorder({ clock, debounceMs: 1234, pollMs: 999 });
    const watcher = new StreamsFileWatcher(file, rec.options);
    try {
      await watcher.start();
      assert.equal(clock.intervals.size, 1, 'the poll is registered on the clock');
      await writeFile(file, V2);
      await waitFor(() => clock.timeouts.size > 0, 'a debounce timer');
      await writeFile(file, V2.replace('interval: 5', 'interval: 6'));
      await sleep(100);
      assert.equal(clock.timeouts.size, 1, 'each event replaces the pending timer');
      assert.equal([...clock.timeouts.values()][0]?.ms, 1234);
      assert.equal(rec.changes.length, 0, 'nothing is read before the debounce fires');
      clock.fireTimeouts();
      await waitFor(() => rec.changes.length > 0, 'onChange');
      assert.equal(rec.changes[0]?.config.streams[0]?.intervalMs, 6000);
    } finally {
      await watcher.close();
    }
    assert.equal(clock.timeouts.size + clock.intervals.size, 0, 'close() clears its timers');
  });

  it('a poll that sees a new signature schedules a debounced reload', async () => {
    const file = join(dir, 'polled.yaml');
    await writeFile(file, V1);
    const clock = new ManualClock();
    const rec = recorder({ clock, watch: false });
    const watcher = new StreamsFileWatcher(file, rec.options);
    try {
      await watcher.start();
      clock.tickIntervals();
      await sleep(50);
      assert.equal(clock.timeouts.size, 0, 'an unchanged file schedules nothing');
      await writeFile(file, V2);
      clock.tickIntervals();
      await waitFor(() => clock.timeouts.size > 0, 'a debounce timer after the poll');
      clock.fireTimeouts();
      await waitFor(() => rec.changes.length > 0, 'onChange');
    } finally {
      await watcher.close();
    }
  });
});
