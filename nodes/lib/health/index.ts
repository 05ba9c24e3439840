export { HealthTracker } from './tracker.js';
export { HealthBook } from './book.js';
export { classify } from './classify.js';
export type { ResultKind } from './classify.js';
export { readSnapshot } from './snapshot.js';
export type { CodeTally, HealthOptions, HealthSnapshot, HealthUpdate, Outage } from './types.js';
