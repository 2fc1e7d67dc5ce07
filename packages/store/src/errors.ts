/** Stable codes of the errors the repository reports. Callers branch on these, never on messages. */
export type StoreErrorCode =
  /** No `.baton/` in the directory or any parent. */
  | 'BATON_STORE_NOT_FOUND'
  /** The database cannot be opened or read (not SQLite, locked for too long, damaged). */
  | 'BATON_STORE_UNUSABLE'
  /** The database was written by a newer baton (its schema version is unknown here). */
  | 'BATON_STORE_TOO_NEW'
  /** An input stream was damaged: what was valid got stored, the run is marked partial. */
  | 'BATON_STORE_CORRUPT_INPUT'
  /** An input holds no subunit v2 packet at all (text, another format, an empty file). */
  | 'BATON_STORE_NOT_SUBUNIT'
  /** A subunit v1 input needs `subunit-1to2` (python-subunit), which is not on PATH. */
  | 'BATON_STORE_NO_CONVERTER'
  /** A timings file is not JSON of the expected shape. */
  | 'BATON_STORE_BAD_TIMINGS'
  /** The repository (or the chosen profile) has no runs yet. */
  | 'BATON_STORE_NO_RUNS'
  /** A run id that the repository does not hold. */
  | 'BATON_STORE_NO_SUCH_RUN';

/** A repository problem with a stable `code`; messages say what to do next. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  /** Byte offset of the first damage in the input, for BATON_STORE_CORRUPT_INPUT. */
  readonly offset: number | undefined;

  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions & { offset?: number }) {
    super(message, options);
    this.code = code;
    this.offset = options?.offset;
  }
}

/** The error for a run id the repository does not hold. */
export function noSuchRun(run: number): StoreError {
  return new StoreError('BATON_STORE_NO_SUCH_RUN', `the repository holds no run ${run}`);
}
