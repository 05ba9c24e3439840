/**
 * From the app's options to the streams file the product reads (format: nodes/lib/config/
 * streams-format.md). The file carries the camera passwords, so the caller writes it with mode
 * 0600 and never logs it.
 */
import { Document } from 'yaml';
import type { RawStream } from '../config/types.js';
import type { AddonOptions } from './options.js';

/**
 * In the streams file a credential that is exactly `${NAME}` is read from the environment, and
 * `$${…}` stands for a literal `${…}`. A user's password is always literal, so `${NAME}` is
 * written as `$${NAME}`. A password that itself starts with `$${` and ends with `}` has no
 * spelling in that format (it would lose a `$`): options.ts refuses it with a clear message.
 */
const ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
const ESCAPED_REFERENCE = /^\$\$\{.*\}$/s;

export function isPassableSecret(value: string): boolean {
  return !ESCAPED_REFERENCE.test(value);
}

export function escapeSecret(value: string): string {
  return ENV_REFERENCE.test(value) ? `$${value}` : value;
}

/** The cameras as streams-file entries, in the same order (messages map `streams[i]` to `cameras[i]`). */
export function camerasToStreamEntries(options: AddonOptions): RawStream[] {
  return options.cameras.map((camera) => {
    const entry: RawStream = { name: camera.name, url: camera.url };
    if (camera.id !== undefined) entry.id = camera.id;
    // An empty user name means "none" (the tab has no way to clear a field but to empty it).
    if (camera.username !== undefined && camera.username !== '') entry.username = escapeSecret(camera.username);
    // An empty password is kept: some cameras really have one.
    if (camera.password !== undefined) entry.password = escapeSecret(camera.password);
    if (camera.interval !== undefined) entry.interval = camera.interval;
    if (camera.verify !== undefined) entry.verify = camera.verify;
    return entry;
  });
}

const HEADER = [
  ' Written by the StreamPulse app from its Configuration tab on every start: edits here are lost.',
  ' It holds camera passwords: keep it private (mode 0600).',
].join('\n');

export interface StreamsFileExtras {
  /** IANA time zone (the Supervisor passes Home Assistant's as TZ), for daily roll-ups. */
  timezone?: string;
}

/** The streams YAML text for the options (validate the options first: see validateOptions). */
export function buildStreamsYaml(options: AddonOptions, extras: StreamsFileExtras = {}): string {
  const file: Record<string, unknown> = {};
  if (options.heartbeat_seconds !== undefined) file.heartbeat_seconds = options.heartbeat_seconds;
  if (extras.timezone !== undefined) file.timezone = extras.timezone;
  file.streams = camerasToStreamEntries(options);
  const doc = new Document(file);
  doc.commentBefore = HEADER;
  // lineWidth 0: never fold a long URL or password over lines.
  return doc.toString({ lineWidth: 0 });
}
