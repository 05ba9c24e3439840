/**
 * Reads the store's Prometheus page the way a Prometheus server would (an HTTP GET), and keeps
 * the figures a capacity run needs: schedule lag, event-loop delay, probes in flight and queued,
 * CPU, memory, handles and the store's row counter.
 */

export interface Scrape {
  /** ms since the epoch, when the answer arrived. */
  at: number;
  /** How long the GET took (ms) and how big the page was. */
  ms: number;
  bytes: number;
  lagP50S?: number;
  lagP99S?: number;
  lagMaxS?: number;
  lagCount?: number;
  lagSumS?: number;
  eldP99S?: number;
  eldMaxS?: number;
  inFlight?: number;
  queued?: number;
  scheduledStreams?: number;
  cpuS?: number;
  rssBytes?: number;
  heapBytes?: number;
  heapTotalBytes?: number;
  externalBytes?: number;
  handles?: number;
  fds?: number;
  rowsWritten?: number;
  rowsQueued?: number;
  storeBytes?: number;
}

/** The unlabelled (or quantile-labelled) samples we read, by their exact text before the value. */
const WANTED: Record<string, keyof Scrape> = {
  'streampulse_schedule_lag_seconds{quantile="0.5"}': 'lagP50S',
  'streampulse_schedule_lag_seconds{quantile="0.99"}': 'lagP99S',
  streampulse_schedule_lag_max_seconds: 'lagMaxS',
  streampulse_schedule_lag_seconds_count: 'lagCount',
  streampulse_schedule_lag_seconds_sum: 'lagSumS',
  'streampulse_event_loop_delay_seconds{quantile="0.99"}': 'eldP99S',
  streampulse_event_loop_delay_max_seconds: 'eldMaxS',
  streampulse_probes_in_flight: 'inFlight',
  streampulse_probes_queued: 'queued',
  streampulse_scheduled_streams: 'scheduledStreams',
  process_cpu_seconds_total: 'cpuS',
  process_resident_memory_bytes: 'rssBytes',
  nodejs_heap_size_used_bytes: 'heapBytes',
  nodejs_heap_size_total_bytes: 'heapTotalBytes',
  nodejs_external_memory_bytes: 'externalBytes',
  process_open_handles: 'handles',
  process_open_fds: 'fds',
  streampulse_store_rows_written_total: 'rowsWritten',
  streampulse_store_queue_rows: 'rowsQueued',
  streampulse_store_bytes: 'storeBytes',
};

/** Picks the wanted samples out of an exposition text (per-stream lines are skipped cheaply). */
export function readScrape(text: string, at: number, ms: number): Scrape {
  const out: Scrape = { at, ms, bytes: Buffer.byteLength(text) };
  for (const line of text.split('\n')) {
    // Per-stream series carry a stream="…" label: thousands of them, none wanted here.
    if (line.startsWith('#') || line.includes('stream="')) continue;
    const space = line.lastIndexOf(' ');
    if (space < 0) continue;
    const key = WANTED[line.slice(0, space)];
    if (key === undefined) continue;
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) (out as unknown as Record<string, number>)[key] = value;
  }
  return out;
}

export async function scrape(url: string, timeoutMs = 15_000): Promise<Scrape> {
  const started = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
  return readScrape(text, Date.now(), performance.now() - started);
}

/** Polls until `done(scrape)` or the deadline; returns the last scrape. */
export async function scrapeUntil(url: string, done: (s: Scrape) => boolean, timeoutMs: number, everyMs = 1000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  let last: Scrape | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await scrape(url);
      if (done(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`metrics did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)} ${lastError instanceof Error ? lastError.message : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
