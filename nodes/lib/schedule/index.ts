export { ProbeScheduler } from './scheduler.js';
export type { RunInfo, RunReport, SchedulableStream, SchedulerOptions, SchedulerStats } from './scheduler.js';
export { hostKey } from './host.js';
