/**
 * The `Heartbeat` contract as a JSON schema, for messages that cross an edge: a store or publisher
 * fed from MQTT, a file or a hand-made flow gets a clear message naming the field instead of a
 * row with holes. Extra fields are allowed (the contract grows by adding).
 */
import Ajv from 'ajv';
import type { ErrorObject, JSONSchemaType, ValidateFunction } from 'ajv';
import { HEALTH_STATES, PROBE_CODES, PROTOCOLS } from './heartbeat.js';
import type { Heartbeat } from './heartbeat.js';

/** ISO-8601 with a time zone, as `toISOString()` writes it (Date.parse decides the rest). */
const ISO_TIME = '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?(Z|[+-]\\d\\d:?\\d\\d)$';
const time = { type: 'string', pattern: ISO_TIME } as const;
const count = { type: 'number', minimum: 0 } as const;
const optionalCount = { ...count, nullable: true } as const;

type Checked = Pick<Heartbeat, 'stream' | 'ts' | 'ok' | 'code' | 'message' | 'latencyMs' | 'health'> & {
  timings?: Record<string, number>;
  media?: Record<string, unknown>;
};

const schema: JSONSchemaType<Checked> = {
  type: 'object',
  required: ['stream', 'ts', 'ok', 'code', 'message', 'latencyMs', 'health'],
  properties: {
    stream: {
      type: 'object',
      required: ['id', 'name', 'url', 'protocol'],
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 200 },
        name: { type: 'string', maxLength: 200 },
        url: { type: 'string', maxLength: 2048 },
        protocol: { type: 'string', enum: [...PROTOCOLS] },
      },
    },
    ts: time,
    ok: { type: 'boolean' },
    code: { type: 'string', enum: [...PROBE_CODES] },
    message: { type: 'string', maxLength: 4096 },
    latencyMs: count,
    timings: {
      type: 'object',
      nullable: true,
      required: [],
      properties: { connectMs: optionalCount, firstResponseMs: optionalCount, firstFrameMs: optionalCount },
    },
    media: {
      type: 'object',
      nullable: true,
      required: [],
      properties: {
        codec: { type: 'string', nullable: true, maxLength: 64 },
        width: optionalCount,
        height: optionalCount,
        fps: optionalCount,
        bitrateKbps: optionalCount,
      },
    },
    health: {
      type: 'object',
      required: ['state', 'since', 'changed', 'failStreak', 'flapping'],
      properties: {
        state: { type: 'string', enum: [...HEALTH_STATES] },
        since: time,
        changed: { type: 'boolean' },
        failStreak: count,
        flapping: { type: 'boolean' },
      },
    },
  },
} as unknown as JSONSchemaType<Checked>;

let compiled: ValidateFunction<Checked> | undefined;

export type HeartbeatCheck = { ok: true; heartbeat: Heartbeat } | { ok: false; error: string };

/** Checks `value` against the contract; the error names the field, e.g. `payload.health.state: must be one of …`. */
export function checkHeartbeat(value: unknown, path = 'payload'): HeartbeatCheck {
  compiled ??= new Ajv({ allErrors: false, strict: true }).compile(schema);
  if (compiled(value)) {
    const hb = value as unknown as Heartbeat;
    if (hb.timings === undefined) return { ok: true, heartbeat: { ...hb, timings: {} } };
    return { ok: true, heartbeat: hb };
  }
  return { ok: false, error: describe(compiled.errors?.[0], path) };
}

function describe(error: ErrorObject | undefined, path: string): string {
  if (!error) return `${path}: not a Heartbeat`;
  const field = path + error.instancePath.replaceAll('/', '.');
  switch (error.keyword) {
    case 'required':
      return `${field}.${String(error.params.missingProperty)}: required`;
    case 'enum':
      return `${field}: must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
    case 'pattern':
      return `${field}: must be an ISO-8601 time such as 2026-01-31T12:00:00.000Z`;
    default:
      return `${field}: ${error.message ?? 'invalid'}`;
  }
}
