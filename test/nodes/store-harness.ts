/**
 * Shared pieces of the heartbeat-store node tests: the store nodes registered with their shipped
 * catalogues, a flow (store config → heartbeat-store → out, plus Catch), and heartbeats made to
 * order with times relative to now.
 */
import { join } from 'node:path';
import type { Heartbeat, HealthState, ProbeCode } from '../../nodes/lib/heartbeat.js';
import registerHeartbeatStore from '../../nodes/heartbeat-store/heartbeat-store.js';
import registerStore from '../../nodes/streampulse-store/streampulse-store.js';
import type { StoreNode } from '../../nodes/streampulse-store/store-config.js';
import { localised } from '../fixtures/node-red-helper.js';
import type { FlowNode, RegisterFunction } from '../fixtures/node-red-helper.js';
import { TAB, onTab } from './harness.js';

const NODES_DIR = join(__dirname, '..', '..', 'nodes');
export const STORE_ID = 'db';
export const WRITER_ID = 'hbstore';

export async function storeNodes(): Promise<RegisterFunction[]> {
  return [
    await localised(registerStore, join(NODES_DIR, 'streampulse-store'), 'streampulse-store'),
    await localised(registerHeartbeatStore, join(NODES_DIR, 'heartbeat-store'), 'heartbeat-store'),
  ];
}

/** The store config node (file relative to the user directory) and heartbeat-store → `out` (+ Catch → `caught`). */
export function storeFlow(file: string, extra: FlowNode[] = []): FlowNode[] {
  return [
    { id: TAB, type: 'tab', label: 'StreamPulse store test' },
    { id: STORE_ID, type: 'streampulse-store', file },
    onTab({ id: WRITER_ID, type: 'heartbeat-store', store: STORE_ID, serve: false, wires: [['out']] }),
    onTab({ id: 'out', type: 'helper' }),
    onTab({ id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] }),
    onTab({ id: 'caught', type: 'helper' }),
    ...extra,
  ];
}

export interface HeartbeatFields {
  id?: string;
  name?: string;
  atMs: number;
  code?: ProbeCode;
  state?: HealthState;
  since?: number;
  changed?: boolean;
  latencyMs?: number;
}

export function makeHeartbeat(f: HeartbeatFields): Heartbeat {
  const id = f.id ?? 'door';
  const code = f.code ?? 'ok';
  const ok = code === 'ok';
  const state = f.state ?? (ok ? 'online' : 'offline');
  return {
    stream: { id, name: f.name ?? `Camera ${id}`, url: `rtsp://admin:***@10.0.0.9/${id}`, protocol: 'rtsp' },
    ts: new Date(f.atMs).toISOString(),
    ok,
    code,
    message: ok ? 'keyframe H264 640x480' : `${code} after 2000 ms`,
    latencyMs: f.latencyMs ?? 120,
    timings: { connectMs: 2, firstFrameMs: 100 },
    ...(ok ? { media: { codec: 'H264', width: 640, height: 480, fps: 25 } } : {}),
    health: { state, since: new Date(f.since ?? f.atMs).toISOString(), changed: f.changed ?? false, failStreak: ok ? 0 : 2, flapping: false },
  };
}

/** The running config node's service (the test reads the database through it). */
export function storeService(getNode: (id: string) => unknown): StoreNode['service'] {
  const node = getNode(STORE_ID) as Partial<StoreNode> | null;
  if (!node?.service) throw new Error('the streampulse-store config node is not running');
  return node.service;
}
