/** The store config node's settings: file path and retention, from the dialog, the environment or defaults. */
import { isAbsolute, join } from 'node:path';
import { DEFAULT_RETENTION } from '../lib/store/retention.js';
import type { RetentionPolicy } from '../lib/store/retention.js';
import type { StoreService, StoreStatus } from '../lib/store/service.js';
import type { Node } from '../shared/node-red.js';

export const STORE_TYPE = 'streampulse-store';

export interface StoreDef {
  file?: string;
  rawHours?: number | string;
  minuteDays?: number | string;
  hourDays?: number | string;
  dayDays?: number | string;
  outageDays?: number | string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Each field: the dialog's value, else this environment variable (Docker, the HA app), else the default. */
const FIELDS = [
  { field: 'rawHours', env: 'STREAMPULSE_RETENTION_RAW_HOURS', key: 'rawMs', unit: HOUR, max: 24 * 366 },
  { field: 'minuteDays', env: 'STREAMPULSE_RETENTION_MINUTE_DAYS', key: 'minuteMs', unit: DAY, max: 3660 },
  { field: 'hourDays', env: 'STREAMPULSE_RETENTION_HOUR_DAYS', key: 'hourMs', unit: DAY, max: 3660 },
  { field: 'dayDays', env: 'STREAMPULSE_RETENTION_DAY_DAYS', key: 'dayMs', unit: DAY, max: 36600 },
  { field: 'outageDays', env: 'STREAMPULSE_RETENTION_OUTAGE_DAYS', key: 'outageMs', unit: DAY, max: 36600 },
] as const;

export interface ResolvedStore {
  file: string;
  retention: RetentionPolicy;
  /** Settings that were given but unusable, named, so the node can say so. */
  warnings: string[];
}

export function resolveStore(def: StoreDef, userDir: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedStore {
  const warnings: string[] = [];
  const retention: RetentionPolicy = { ...DEFAULT_RETENTION };
  for (const { field, env: name, key, unit, max } of FIELDS) {
    const fromDialog = def[field];
    const [raw, source] = fromDialog !== undefined && String(fromDialog).trim() !== ''
      ? [String(fromDialog), field]
      : [env[name], name];
    if (raw === undefined || raw.trim() === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || value > max) {
      warnings.push(`${source}: "${raw}" is not a number between 0 and ${max}; using the default`);
      continue;
    }
    retention[key] = value * unit;
  }
  if (retention.minuteMs < retention.rawMs) warnings.push('minuteDays: shorter than the raw retention; minute roll-ups are kept as long as raw rows');
  retention.minuteMs = Math.max(retention.minuteMs, retention.rawMs);
  const name = def.file?.trim() || 'streampulse.db';
  const file = isAbsolute(name) ? name : join(userDir ?? process.cwd(), name);
  return { file, retention, warnings };
}

/** What the nodes that use this config node see of it. */
export interface StoreNode extends Node {
  service: StoreService;
  /** Calls `listener` now and on every status change; returns the unsubscribe. */
  watchStatus(listener: (status: StoreStatus) => void): () => void;
}

