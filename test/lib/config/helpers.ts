/** Small helpers shared by the config tests. */
import assert from 'node:assert/strict';
import { join } from 'node:path';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'streams');

/** 1-based line of the first line of `text` that contains `needle` (fails when absent). */
export function lineContaining(text: string, needle: string, occurrence = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.includes(needle) && ++seen === occurrence) return i + 1;
  }
  assert.fail(`"${needle}" (occurrence ${occurrence}) not in the test document`);
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes (then fails with `what`). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
