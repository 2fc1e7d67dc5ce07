export { StoreError, type StoreErrorCode } from './errors.js';
export {
  DEFAULT_PROFILE,
  type ResultStatus,
  type RunStart,
  type RunWriter,
  type RunEnd,
  type RunLike,
  type ProcessStartCause,
  type ProcessStartInput,
  type StoredProcessStart,
  type ResultInput,
  type StoredRun,
  type StoredResult,
  type HistoryEntry,
  type Timing,
  type Estimates,
  type FailingTest,
  type SlowTest,
  type ProfileSummary,
  type RepositoryStats,
  type TimingsFile,
  type RunRepository,
} from './types.js';
export { EWMA_ALPHA } from './timing.js';
export { SqliteRepository, type SqliteOptions } from './sqlite.js';
export type { FlakyTest, ResultPageQuery, RunPageQuery, Span } from './browse.js';
export type { BisectEvidence, BisectionStart, BisectProgress, StoredBisection } from './bisections.js';
export { MemoryRepository } from './memory.js';
export { refuseInProgress, runState, thisProcess, writerAlive, type RunState } from './writer.js';
export { SCHEMA_VERSION } from './schema.js';
export { REPOSITORY_DIR, DATABASE_FILE, findRepositoryRoot, openRepository, initRepository, type LocateOptions } from './locate.js';
export { importStream, type ImportOptions, type ImportReport } from './import.js';
export { asSubunitV2, isStestrRepository, stestrRuns, V1_CONVERTER, type StestrRun } from './sources.js';
export { testResultOf } from './export.js';
export { parseTimingsFile } from './timings-file.js';
