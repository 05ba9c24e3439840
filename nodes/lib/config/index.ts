/** The camera-list library: parse, validate and watch a streams file (see streams-format.md). */
export { loadStreamsFile, parseStreamsConfig, validateStreamList } from './load.js';
export type { StreamListOptions } from './load.js';
export { diffStreams, hasChanges, sameConfig, sameStream } from './diff.js';
export type { StreamsDiff } from './diff.js';
export { StreamsFileWatcher } from './watch.js';
export type { StreamsFileWatcherOptions, WatchClock } from './watch.js';
export { ID_PATTERN, idFromName, slugify } from './slug.js';
export { SCHEMA_PATH } from './schema.js';
export { DEFAULT_HEARTBEAT_SECONDS } from './normalise.js';
export type { Env, LoadResult, StreamConfig, StreamListResult, StreamsConfig, VerifySetting } from './types.js';
