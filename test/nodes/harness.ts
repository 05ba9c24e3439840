/**
 * Shared pieces of the node tests: the flow under test (cameras → stream-probe → two outputs, plus
 * a Catch node), a recorder of what arrives on the outputs, atomic YAML writes, bounded waits and
 * handle counts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Heartbeat } from '../../nodes/lib/heartbeat.js';
import type { NodeMessage, NodeStatus } from '../../nodes/shared/node-red.js';
import registerProbe from '../../nodes/stream-probe/stream-probe.js';
import registerCameras from '../../nodes/streampulse-cameras/streampulse-cameras.js';
import { getNode, localised, statusesOf } from '../fixtures/node-red-helper.js';
import type { FlowNode, RegisterFunction, RuntimeNode } from '../fixtures/node-red-helper.js';

export const TAB = 'tab1';
export const PROBE_ID = 'probe';
export const CAMERAS_ID = 'cams';

/** The compiled node folders (their locales/ sit beside the .js, as the build puts them). */
const NODES_DIR = join(__dirname, '..', '..', 'nodes');

/** stream-probe and streampulse-cameras, translating with their shipped catalogues. */
export async function streampulseNodes(): Promise<RegisterFunction[]> {
  return [
    await localised(registerCameras, join(NODES_DIR, 'streampulse-cameras'), 'streampulse-cameras'),
    await localised(registerProbe, join(NODES_DIR, 'stream-probe'), 'stream-probe'),
  ];
}

/**
 * cameras → stream-probe → out1 (every heartbeat) and out2 (state changes); a Catch node on the
 * tab forwards errors to `caught`.
 */
export function probeFlow(cameras: Record<string, unknown>, probe: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id: TAB, type: 'tab', label: 'StreamPulse test' },
    { id: CAMERAS_ID, type: 'streampulse-cameras', name: '', ...cameras },
    onTab({ id: PROBE_ID, type: 'stream-probe', name: '', cameras: CAMERAS_ID, ...probe, wires: [['out1'], ['out2']] }),
    onTab({ id: 'out1', type: 'helper' }),
    onTab({ id: 'out2', type: 'helper' }),
    onTab({ id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] }),
    onTab({ id: 'caught', type: 'helper' }),
  ];
}

/**
 * A flow node placed on the test tab. The runtime tells flow nodes from config nodes by their
 * x/y position: without one a node would be started as a config node.
 */
export function onTab(node: FlowNode): FlowNode {
  return { z: TAB, x: 100, y: 100, ...node };
}

export interface Received {
  msg: NodeMessage;
  heartbeat: Heartbeat;
  /** Position in the recorder's single sequence of arrivals on both outputs. */
  seq: number;
}

/** Everything that arrives on the two outputs and at the Catch node, in order. */
export class FlowRecorder {
  readonly out1: Received[] = [];
  readonly out2: Received[] = [];
  readonly caught: NodeMessage[] = [];
  private seq = 0;

  constructor() {
    getNode('out1').on('input', (msg) => this.out1.push(this.record(msg)));
    getNode('out2').on('input', (msg) => this.out2.push(this.record(msg)));
    getNode('caught').on('input', (msg) => this.caught.push(msg));
  }

  get probe(): RuntimeNode {
    return getNode(PROBE_ID);
  }

  heartbeats(streamId: string): Received[] {
    return this.out1.filter((r) => r.msg.topic === streamId);
  }

  changes(streamId: string): Received[] {
    return this.out2.filter((r) => r.msg.topic === streamId);
  }

  /** Waits for `count` more heartbeats of `streamId` than it has had so far; returns the newest. */
  async nextHeartbeats(streamId: string, count: number, timeoutMs: number): Promise<Received> {
    const target = this.heartbeats(streamId).length + count;
    await waitFor(() => this.heartbeats(streamId).length >= target, `${count} more heartbeat(s) of "${streamId}"`, timeoutMs);
    const last = this.heartbeats(streamId).at(-1);
    assert.ok(last);
    return last;
  }

  /** Waits until the stream-probe node shows a status that satisfies `match`; returns it. */
  async status(match: (status: NodeStatus) => boolean, what: string, timeoutMs: number): Promise<NodeStatus> {
    let found: NodeStatus | undefined;
    await waitFor(
      () => {
        found = statusesOf(this.probe).at(-1);
        return found !== undefined && match(found);
      },
      `status ${what} (last: ${JSON.stringify(statusesOf(this.probe).at(-1))})`,
      timeoutMs,
    );
    assert.ok(found);
    return found;
  }

  private record(msg: NodeMessage): Received {
    return { msg, heartbeat: msg.payload as Heartbeat, seq: this.seq++ };
  }
}

/** Polls `condition` every 20 ms until it holds, failing after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A temporary directory (the Node-RED userDir and the streams file live there). */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

let writes = 0;

/** Writes `text` to a sibling and renames it over `path`, as editors and the Home Assistant app do. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${++writes}`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

/** One line of a streams YAML file (flow style keeps the test files short). */
export function streamLine(fields: Record<string, string | number | boolean>): string {
  const parts = Object.entries(fields).map(([key, value]) => `${key}: ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  return `  - {${parts.join(', ')}}\n`;
}

export function streamsYaml(streams: Record<string, string | number | boolean>[]): string {
  return `heartbeat_seconds: 1\nstreams:\n${streams.map(streamLine).join('')}`;
}

/** Handle kinds a stream-probe flow may own: sockets, timers, file watchers. */
export const HANDLE_KINDS = ['TCPSocketWrap', 'TCPWrap', 'TLSWrap', 'UDPWrap', 'Timeout', 'FSEventWrap', 'StatWatcher', 'FileHandle'] as const;

export function handleCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Kinds that have more handles now than in `baseline`, e.g. `Timeout: 3 > 1`. */
export function excessHandles(baseline: Map<string, number>): string[] {
  const now = handleCounts();
  return HANDLE_KINDS.filter((kind) => (now.get(kind) ?? 0) > (baseline.get(kind) ?? 0)).map(
    (kind) => `${kind}: ${now.get(kind) ?? 0} > ${baseline.get(kind) ?? 0}`,
  );
}
