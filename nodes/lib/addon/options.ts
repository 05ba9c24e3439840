/**
 * The Home Assistant app's options: what the user fills in on the Configuration tab, which the
 * Supervisor writes to /data/options.json. The Supervisor already checks them against the
 * `schema` of addon/config.yaml; this is the second line, for a file edited through the API or
 * kept from an older version, and for what that schema language cannot say (unique names, ids).
 * Every problem is one line naming the option as the tab shows it: `cameras[2].url: …`.
 * https://developers.home-assistant.io/docs/apps/configuration#options--schema
 */
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { validateStreamList } from '../config/index.js';
import type { VerifySetting } from '../config/index.js';
import { fieldPath, pointerToPath } from '../config/issues.js';
import type { Path, PathSegment } from '../config/issues.js';
import { camerasToStreamEntries, isPassableSecret } from './streams.js';

/** Home Assistant's usual log levels (what users of other apps know), mapped to Node-RED's in launch.ts. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'notice', 'warning', 'error', 'fatal'] as const;
export type LogLevelOption = (typeof LOG_LEVELS)[number];

export const VERIFY_OPTIONS = ['auto', 'packet', 'keyframe', 'decode'] as const satisfies readonly VerifySetting[];

export interface CameraOption {
  name: string;
  url: string;
  /** Stable id (keeps history and entities across a rename); defaults to a slug of the name. */
  id?: string;
  username?: string;
  password?: string;
  /** Seconds between probes of this camera (default: heartbeat_seconds). */
  interval?: number;
  verify?: VerifySetting;
}

export interface AddonOptions {
  cameras: CameraOption[];
  heartbeat_seconds?: number;
  retention_raw_hours?: number;
  retention_minute_days?: number;
  retention_hour_days?: number;
  retention_day_days?: number;
  retention_outage_days?: number;
  log_level?: LogLevelOption;
}

/**
 * Ranges of the whole-number options, with their unit. config.yaml's `schema` must say the same
 * (`int(5,3600)?`); test/addon/config.test.ts holds the two together.
 */
export const RANGES = {
  interval: { min: 5, max: 3600, unit: 'seconds' },
  heartbeat_seconds: { min: 5, max: 3600, unit: 'seconds' },
  retention_raw_hours: { min: 1, max: 8760, unit: 'hours' },
  retention_minute_days: { min: 1, max: 3650, unit: 'days' },
  retention_hour_days: { min: 1, max: 3650, unit: 'days' },
  retention_day_days: { min: 1, max: 36500, unit: 'days' },
  retention_outage_days: { min: 1, max: 36500, unit: 'days' },
} as const;

const wholeNumber = (key: keyof typeof RANGES): object => ({ type: 'integer', minimum: RANGES[key].min, maximum: RANGES[key].max });

/** The same URL rule as the streams file (nodes/lib/config/streams.schema.json). */
export const CAMERA_URL_PATTERN = '^([Rr][Tt][Ss][Pp][Ss]?|[Hh][Tt][Tt][Pp][Ss]?)://';
export const CAMERA_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';

/** JSON Schema of options.json. Unknown keys are allowed here and reported as warnings. */
export const OPTIONS_SCHEMA = {
  type: 'object',
  required: ['cameras'],
  properties: {
    cameras: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'url'],
        properties: {
          name: { type: 'string', maxLength: 200, pattern: '\\S' },
          url: { type: 'string', maxLength: 4096, pattern: CAMERA_URL_PATTERN },
          id: { type: 'string', pattern: CAMERA_ID_PATTERN },
          username: { type: 'string', maxLength: 256 },
          password: { type: 'string', maxLength: 1024 },
          interval: wholeNumber('interval'),
          verify: { enum: [...VERIFY_OPTIONS] },
        },
      },
    },
    heartbeat_seconds: wholeNumber('heartbeat_seconds'),
    retention_raw_hours: wholeNumber('retention_raw_hours'),
    retention_minute_days: wholeNumber('retention_minute_days'),
    retention_hour_days: wholeNumber('retention_hour_days'),
    retention_day_days: wholeNumber('retention_day_days'),
    retention_outage_days: wholeNumber('retention_outage_days'),
    log_level: { enum: [...LOG_LEVELS] },
  },
} as const;

export type OptionsCheck = { ok: true; options: AddonOptions; warnings: string[] } | { ok: false; errors: string[] };

let compiled: ValidateFunction<AddonOptions> | undefined;

function validator(): ValidateFunction<AddonOptions> {
  // verbose: errors carry their parent schema (the range for "must be between").
  compiled ??= new Ajv({ allErrors: true, verbose: true, strict: true }).compile<AddonOptions>(OPTIONS_SCHEMA);
  return compiled;
}

/** Parses the text of options.json. A syntax error names the line, never quotes the text (passwords). */
export function parseOptionsText(text: string): OptionsCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`options.json is not valid JSON${where(text, err)}`] };
  }
  return validateOptions(value);
}

export function validateOptions(value: unknown): OptionsCheck {
  const validate = validator();
  if (!validate(value)) return { ok: false, errors: (validate.errors ?? []).map(describe) };
  const options = value;
  const warnings = unknownKeys(options);
  const errors: string[] = [];
  options.cameras.forEach((camera, i) => {
    for (const key of ['username', 'password'] as const) {
      const secret = camera[key];
      if (secret !== undefined && !isPassableSecret(secret)) {
        errors.push(`${fieldPath(['cameras', i, key])}: a value of the form $\${…} cannot be passed on to the camera list`);
      }
    }
  });
  if (errors.length > 0) return { ok: false, errors };
  // Unique names and ids, real URLs: the camera-list library's own checks, in the tab's words.
  const listOptions = options.heartbeat_seconds === undefined ? { env: {} } : { env: {}, defaultIntervalSeconds: options.heartbeat_seconds };
  const streams = validateStreamList(camerasToStreamEntries(options), LIST_SOURCE, listOptions);
  if (!streams.ok) return { ok: false, errors: streams.errors.map(inOptionTerms) };
  return { ok: true, options, warnings: [...warnings, ...streams.warnings.map(inOptionTerms)] };
}

const LIST_SOURCE = 'options';

/** `options: streams[2].url: …` → `cameras[2].url: …` (the list is built camera by camera, same order). */
export function inOptionTerms(line: string): string {
  const text = line.startsWith(`${LIST_SOURCE}: `) ? line.slice(LIST_SOURCE.length + 2) : line;
  return text.replace(/\bstreams\[(\d+)\]/g, 'cameras[$1]');
}

function unknownKeys(options: AddonOptions): string[] {
  const warnings: string[] = [];
  const top = Object.keys(OPTIONS_SCHEMA.properties);
  const cameraKeys = Object.keys(OPTIONS_SCHEMA.properties.cameras.items.properties);
  for (const key of Object.keys(options)) {
    if (!top.includes(key)) warnings.push(`${fieldPath([key])}: unknown option, ignored`);
  }
  options.cameras.forEach((camera, i) => {
    for (const key of Object.keys(camera)) {
      if (!cameraKeys.includes(key)) warnings.push(`${fieldPath(['cameras', i, key])}: unknown option, ignored`);
    }
  });
  return warnings;
}

function describe(error: ErrorObject): string {
  const at = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  const field = at[at.length - 1];
  switch (error.keyword) {
    case 'required':
      return line([...at, String(params.missingProperty)], 'is required');
    case 'type':
      return line(at, typeMessage(String(params.type), field, at.length === 0));
    case 'pattern':
      return line(at, patternMessage(field));
    case 'minimum':
    case 'maximum':
      return line(at, `must be between ${String(parent.minimum)} and ${String(parent.maximum)}${unitOf(field)}`);
    case 'enum':
      return line(at, `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`);
    case 'maxLength':
      return line(at, `must be at most ${String(params.limit)} characters long`);
    default:
      return line(at, `is invalid (${error.keyword})`);
  }
}

function line(at: Path, message: string): string {
  return at.length === 0 ? `options: ${message}` : `${fieldPath(at)}: ${message}`;
}

function typeMessage(type: string, field: PathSegment | undefined, root: boolean): string {
  switch (type) {
    case 'integer':
      return `must be a whole number${unitOf(field, ' of')}`;
    case 'string':
      return 'must be text';
    case 'array':
      return 'must be a list';
    case 'object':
      return root ? 'must be a JSON object with a cameras list' : 'must be a mapping with at least name and url';
    default:
      return `must be of type ${type}`;
  }
}

function patternMessage(field: PathSegment | undefined): string {
  switch (field) {
    case 'url':
      return 'must be rtsp://, rtsps://, http:// or https://';
    case 'name':
      return 'must not be empty';
    case 'id':
      return 'must be a slug: 1 to 64 lower-case letters, digits, _ or -, starting with a letter or digit';
    default:
      return 'has the wrong format';
  }
}

function unitOf(field: PathSegment | undefined, lead = ''): string {
  if (typeof field !== 'string' || !(field in RANGES)) return '';
  return `${lead} ${RANGES[field as keyof typeof RANGES].unit}`;
}

/** " (line 3)" from a JSON.parse error's offset; V8's own message may quote the text, so it is dropped. */
function where(text: string, err: unknown): string {
  const offset = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
  if (offset === undefined) return '';
  return ` (line ${text.slice(0, Number(offset)).split('\n').length})`;
}
