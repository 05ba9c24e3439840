/**
 * Where the CPU went, from a V8 `.cpuprofile` (node --cpu-prof): self time per function and per
 * area (our lib/ folders, each npm package, Node's internals, GC), optionally only for the
 * samples inside a time window, so start-up does not drown the steady state.
 *
 *   node dist/test/bench/cpu-profile.js FILE.cpuprofile [--from-s 60] [--to-s 180] [--top 25]
 *
 * Profile format: https://chromedevtools.github.io/devtools-protocol/tot/Profiler/#type-Profile
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time in the window, %. */
  pct: number;
}

export interface ProfileSummary {
  /** Busy time in the window (ms): everything but `(idle)`. */
  busyMs: number;
  wallMs: number;
  byArea: ProfileLine[];
  byFunction: ProfileLine[];
}

/** Which part of the process a frame belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  const ours = /\/dist\/nodes\/(lib\/[^/]+|[^/]+)\//.exec(url);
  if (ours) return `streampulse ${ours[1]}`;
  if (/\/dist\/test\//.test(url)) return 'streampulse test code';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(url);
  if (pkg) return pkg[1] === 'node-red' || pkg[1]?.startsWith('@node-red/') ? 'node-red' : `npm ${pkg[1]}`;
  const core = /^node:(internal\/)?([^/]+)/.exec(url);
  if (core) return `node:${core[2]}`;
  return url;
}

/** `fromMs`/`toMs`: window in ms since the profile started. */
export function summarizeProfile(profile: Profile, options: { fromMs?: number; toMs?: number; top?: number } = {}): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fromUs = (options.fromMs ?? 0) * 1000;
  const toUs = (options.toMs ?? Infinity) * 1000;
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let t = 0;
  let busy = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (t < fromUs || t > toUs) continue;
    first = Math.min(first, t);
    last = Math.max(last, t + us);
    const node = byId.get(profile.samples[i] as number);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const file = url.replace(/^.*\/(dist|node_modules)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const a = areaOf(url, functionName);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const top = options.top ?? 25;
  const lines = (map: Map<string, number>): ProfileLine[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: busy > 0 ? Math.round((1000 * us) / busy) / 10 : 0 }));
  return { busyMs: Math.round(busy / 1000), wallMs: Number.isFinite(first) ? Math.round((last - first) / 1000) : 0, byArea: lines(area), byFunction: lines(fn) };
}

export function readProfile(path: string): Profile {
  return JSON.parse(readFileSync(path, 'utf8')) as Profile;
}

export function formatProfile(s: ProfileSummary): string {
  const out = [`busy ${s.busyMs} ms of ${s.wallMs} ms wall (${s.wallMs > 0 ? ((100 * s.busyMs) / s.wallMs).toFixed(1) : '?'} % of one core)`, '', 'by area:'];
  for (const l of s.byArea) out.push(`  ${l.pct.toFixed(1).padStart(5)} %  ${String(l.ms).padStart(7)} ms  ${l.name}`);
  out.push('', 'by function (self time):');
  for (const l of s.byFunction) out.push(`  ${l.pct.toFixed(1).padStart(5)} %  ${String(l.ms).padStart(7)} ms  ${l.name}`);
  return out.join('\n');
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    options: { 'from-s': { type: 'string' }, 'to-s': { type: 'string' }, top: { type: 'string', default: '25' } },
    allowPositionals: true,
  });
  for (const file of positionals) {
    const summary = summarizeProfile(readProfile(file), {
      ...(values['from-s'] !== undefined ? { fromMs: Number(values['from-s']) * 1000 } : {}),
      ...(values['to-s'] !== undefined ? { toMs: Number(values['to-s']) * 1000 } : {}),
      top: Number(values.top),
    });
    console.log(`${file}\n${formatProfile(summary)}\n`);
  }
}
