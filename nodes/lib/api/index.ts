/** The framework-free HTTP API of the store: JSON, CSV export and Prometheus metrics. */
export { handleApiRequest } from './handler.js';
export { ProbeCounterBook } from './counters.js';
export { DEFAULT_UPTIME_MAX_AGE_MS } from './fleet-cache.js';
export type { ApiContext, ApiRequest, ApiResponse, ProbeCounters, StreamProbeCounts } from './types.js';
