/** The framework-free HTTP API of the store: JSON, CSV export, Prometheus metrics and the dashboard. */
export { handleApiRequest } from './handler.js';
export { ProbeCounterBook } from './counters.js';
export { DEFAULT_UPTIME_MAX_AGE_MS } from './fleet-cache.js';
export { CSRF_HEADER } from './csrf.js';
export { MAX_PREVIEWS, PREVIEW_TIMEOUT_MS, PreviewSlots } from './preview.js';
export type {
  ApiContext, ApiRequest, ApiResponse, CameraList, PreviewSlotsLike, ProbeCounters, StreamProbeCounts,
} from './types.js';
