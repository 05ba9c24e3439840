/**
 * GET api/info: what the dashboard needs before its first request — the version, the time zone
 * to show times in, the CSRF token for writes, the health threshold its info panel explains,
 * and whether the streams file can be edited here.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { json } from './respond.js';
import type { ApiContext, ApiResponse } from './types.js';

/** stream-probe's default (DESIGN.md: a failure streak of 2 makes `offline`). */
export const DEFAULT_FAILURES_TO_OFFLINE = 2;

export async function info(ctx: ApiContext): Promise<ApiResponse> {
  const cameras = ctx.cameras?.();
  const file = cameras?.file;
  return json({
    version: ctx.version ?? '0.0.0',
    timezone: cameras?.timezone ?? ctx.timezone ?? systemTimeZone(),
    csrfToken: ctx.csrfToken ?? '',
    health: { failuresToOffline: ctx.failuresToOffline ?? DEFAULT_FAILURES_TO_OFFLINE },
    streamsFile: {
      editable: file !== undefined && ctx.csrfToken !== undefined && ctx.csrfToken !== '' && (await writable(file)),
      name: file !== undefined ? basename(file) : null,
    },
  });
}

export function systemTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** A save writes a temporary file beside the streams file and renames it: both must be allowed. */
async function writable(file: string): Promise<boolean> {
  const can = (path: string): Promise<boolean> => access(path, constants.W_OK).then(() => true, () => false);
  const exists = await access(file).then(() => true, () => false);
  return (!exists || (await can(file))) && (await can(dirname(file)));
}
