/**
 * What the kernel says about the processes of a capacity run (Linux /proc, see proc(5)): CPU time
 * and RSS of one process, the children of this one (Node-RED, Mosquitto, the fleet), and how busy
 * the whole machine was, so a figure measured on a shared 2-core box can be read in context.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

const CLK_TCK = clockTicks();

export interface ProcSample {
  /** ms since the epoch. */
  at: number;
  /** user + system seconds. */
  cpuS: number;
  rssBytes: number;
}

/** CPU time and RSS of `pid`, or undefined when it has gone. */
export function procSample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    // After it come field 3 (state) onwards; utime is field 14, stime 15, rss (pages) 24.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { at: Date.now(), cpuS: ticks / CLK_TCK, rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
  } catch {
    return undefined;
  }
}

/** Direct children of `parent` whose command line matches. */
export function childPids(parent: number, match: RegExp): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (match.test(cmdline)) out.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

export interface MachineSample {
  at: number;
  /** Jiffies busy (not idle, not iowait) and total, over all CPUs. */
  busy: number;
  total: number;
}

export function machineSample(): MachineSample {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = values.slice(0, 8).reduce((sum, v) => sum + (Number.isFinite(v) ? v : 0), 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { at: Date.now(), busy: total - idle, total };
}

/** Share of all CPUs that were busy between two samples, in % of ONE core (2 cores fully busy = 200). */
export function machineBusyPercent(a: MachineSample, b: MachineSample): number {
  const total = b.total - a.total;
  return total > 0 ? (100 * cpus().length * (b.busy - a.busy)) / total : 0;
}

/** CPU % of one core between two samples of one process. */
export function cpuPercent(a: ProcSample | undefined, b: ProcSample | undefined): number | undefined {
  if (!a || !b || b.at <= a.at) return undefined;
  return (100 * (b.cpuS - a.cpuS)) / ((b.at - a.at) / 1000);
}

export function machineInfo(): { cpu: string; cores: number; memoryGB: number; loadavg: number[] } {
  let memoryGB = 0;
  try {
    const m = /MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    memoryGB = m ? Math.round(Number(m[1]) / 1048576) : 0;
  } catch {
    // not Linux
  }
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGB, loadavg: loadavg().map((l) => Math.round(l * 100) / 100) };
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
