import type { ProbeCode } from '../heartbeat.js';
import type { WriterStats } from '../store/writer.js';
import type { ProbeCounters, StreamProbeCounts } from './types.js';

/**
 * Counts probes and failures per stream and code as heartbeats pass through the store node, for
 * the Prometheus counters. Counters restart at zero with the process, which Prometheus' rate()
 * handles (https://prometheus.io/docs/concepts/metric_types/#counter).
 */
export class ProbeCounterBook {
  private readonly streams = new Map<string, { probes: number; failures: Partial<Record<ProbeCode, number>> }>();

  record(heartbeat: { stream: { id: string }; ok: boolean; code: ProbeCode }): void {
    let counts = this.streams.get(heartbeat.stream.id);
    if (!counts) this.streams.set(heartbeat.stream.id, (counts = { probes: 0, failures: {} }));
    counts.probes++;
    if (!heartbeat.ok) counts.failures[heartbeat.code] = (counts.failures[heartbeat.code] ?? 0) + 1;
  }

  /** Forgets a stream removed from the configuration, so its series end. */
  forget(streamId: string): void {
    this.streams.delete(streamId);
  }

  snapshot(writer: WriterStats): ProbeCounters {
    const streams = new Map<string, StreamProbeCounts>();
    for (const [id, c] of this.streams) streams.set(id, { probes: c.probes, failures: { ...c.failures } });
    return { streams, writer };
  }
}
