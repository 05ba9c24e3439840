/**
 * Validates a parsed streams file against the shipped JSON Schema (streams.schema.json, also
 * usable by editors for completion) and turns ajv's findings into our own messages: ajv's raw
 * text ("must match pattern ...") tells a user nothing about cameras.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { pointerToPath } from './issues.js';
import type { Issue } from './issues.js';
import type { RawStreamsFile } from './types.js';

export const SCHEMA_PATH = join(__dirname, 'streams.schema.json');

let compiled: ValidateFunction<RawStreamsFile> | undefined;

function validator(): ValidateFunction<RawStreamsFile> {
  if (compiled === undefined) {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object;
    // verbose: errors carry their parent schema (ranges, allowed keys for "did you mean").
    const ajv = new Ajv({ allErrors: true, useDefaults: false, verbose: true, strict: true });
    compiled = ajv.compile<RawStreamsFile>(schema);
  }
  return compiled;
}

export type SchemaCheck = { ok: true; value: RawStreamsFile } | { ok: false; issues: Issue[] };

export function checkSchema(value: unknown): SchemaCheck {
  const validate = validator();
  if (validate(value)) return { ok: true, value };
  return { ok: false, issues: (validate.errors ?? []).map(toIssue) };
}

/** Messages for one keyword of one field, keyed by ajv's schemaPath. */
const SPECIFIC: Record<string, string> = {
  '#/type': 'the file must be a mapping with heartbeat_seconds, timezone and streams',
  '#/properties/streams/type': 'must be a list of streams (write `streams: []` for none)',
  '#/definitions/stream/type': 'must be a mapping with at least name and url',
  '#/definitions/stream/properties/url/pattern': 'must start with rtsp://, rtsps://, http:// or https://',
  '#/definitions/stream/properties/id/pattern':
    'must be a slug: 1 to 64 lower-case letters, digits, _ or -, starting with a letter or digit',
  '#/definitions/stream/properties/name/pattern': 'must not be empty',
  '#/properties/timezone/minLength': 'must not be empty',
  '#/definitions/stream/properties/tags/items/minLength': 'must not be empty',
};

/** Every number in the file is a duration in seconds. */
const UNIT = ' seconds';

function toIssue(error: ErrorObject): Issue {
  const at = pointerToPath(error.instancePath);
  const specific = SPECIFIC[error.schemaPath];
  if (specific !== undefined) return { at, message: specific };
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { at, field: [...at, String(params.missingProperty)], message: 'is required' };
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      return { at: [...at, key], atKey: true, message: unknownKeyMessage(key, parent) };
    }
    case 'type':
      return { at, message: typeMessage(String(params.type)) };
    case 'minimum':
    case 'maximum':
      return { at, message: `must be between ${String(parent.minimum)} and ${String(parent.maximum)}${UNIT}` };
    case 'enum':
      return { at, message: `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'maxLength':
      return { at, message: `must be at most ${String(params.limit)} characters long` };
    case 'minLength':
      return { at, message: 'must not be empty' };
    default:
      return { at, message: `is invalid (${error.keyword})` };
  }
}

function typeMessage(type: string): string {
  switch (type) {
    case 'boolean':
      return 'must be true or false';
    case 'number':
    case 'integer':
      return `must be a number of${UNIT}`;
    case 'string':
      return 'must be text (put it in quotes if YAML reads it as something else)';
    case 'array':
      return 'must be a list';
    case 'object':
      return 'must be a mapping (key: value)';
    default:
      return `must be of type ${type}`;
  }
}

function unknownKeyMessage(key: string, parentSchema: Record<string, unknown>): string {
  const properties = parentSchema.properties;
  const allowed = typeof properties === 'object' && properties !== null ? Object.keys(properties) : [];
  const hint = closest(key, allowed);
  return hint === undefined ? `unknown key; allowed keys are ${allowed.join(', ')}` : `unknown key (did you mean "${hint}"?)`;
}

/** The allowed key a typo most likely meant: same letters ignoring case and `_`/`-`, or ≤ 2 edits. */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  const squash = (s: string): string => s.toLowerCase().replace(/[_-]/g, '');
  let best: { name: string; distance: number } | undefined;
  for (const name of allowed) {
    const distance = squash(name) === squash(key) ? 0 : editDistance(key.toLowerCase(), name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Levenshtein distance (insert, delete, substitute), one rolling row. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost));
    }
    row = next;
  }
  return row[b.length] ?? 0;
}
