/**
 * Entry points of the camera-list library: a YAML text, a YAML file, or the list edited in the
 * Node-RED editor dialog, each checked by the same schema and normalised the same way.
 */
import { formatIssues } from './issues.js';
import type { LineOf } from './issues.js';
import { normaliseFile } from './normalise.js';
import { readStreamsFileText } from './read-file.js';
import { checkSchema } from './schema.js';
import type { Env, LoadResult, StreamListResult } from './types.js';
import { parseYaml } from './yaml-source.js';

/**
 * Parses and validates a streams YAML text. `fileName` prefixes every message
 * (`<fileName>:<line>: <field>: <message>`); `env` resolves `${VAR}` credentials.
 */
export function parseStreamsConfig(text: string, fileName: string, env: Env = process.env): LoadResult {
  const parsed = parseYaml(text, fileName);
  if (!parsed.ok) return parsed;
  if (parsed.value === null || parsed.value === undefined) {
    return { ok: false, errors: [`${fileName}:1: the file is empty; it needs at least \`streams:\` with a list of cameras`] };
  }
  return validate(parsed.value, fileName, parsed.lineOf, env, parsed.warnings);
}

/** Reads and parses a streams file; a missing or unreadable file is one clear error. */
export async function loadStreamsFile(path: string, env: Env = process.env): Promise<LoadResult> {
  const file = await readStreamsFileText(path);
  if (!file.ok) return { ok: false, errors: [file.error] };
  return parseStreamsConfig(file.text, path, env);
}

export interface StreamListOptions {
  /** Interval of streams that set none (the editor's counterpart of `heartbeat_seconds`). */
  defaultIntervalSeconds?: number;
  env?: Env;
}

/**
 * Validates the camera list of the editor dialog: items have the keys of one YAML stream
 * (`name`, `url`, `interval`, `verify`, `enabled`, `username`, `password`, …; the config node
 * merges passwords in from its credentials). A blank optional field (`""` or null) means "use
 * the default", as an empty input box does. Messages read `<source>: streams[3].url: …`.
 */
export function validateStreamList(list: readonly unknown[], source: string, options: StreamListOptions = {}): StreamListResult {
  const streams = list.map(dropBlankFields);
  const file: Record<string, unknown> = { streams };
  if (options.defaultIntervalSeconds !== undefined) file.heartbeat_seconds = options.defaultIntervalSeconds;
  const result = validate(file, source, () => undefined, options.env ?? process.env, []);
  if (!result.ok) return result;
  return { ok: true, streams: result.config.streams, warnings: result.warnings };
}

function validate(value: unknown, source: string, lineOf: LineOf, env: Env, yamlWarnings: string[]): LoadResult {
  const checked = checkSchema(value);
  if (!checked.ok) return { ok: false, errors: formatIssues(source, checked.issues, lineOf) };
  const normalised = normaliseFile(checked.value, env);
  if (normalised.errors.length > 0) return { ok: false, errors: formatIssues(source, normalised.errors, lineOf) };
  return { ok: true, config: normalised.config, warnings: [...yamlWarnings, ...formatIssues(source, normalised.warnings, lineOf)] };
}

/** A password may legitimately be empty (some cameras), so only other blank fields are dropped. */
function dropBlankFields(item: unknown): unknown {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (value === null || value === undefined) continue;
    if (value === '' && key !== 'password' && key !== 'name' && key !== 'url') continue;
    out[key] = value;
  }
  return out;
}
