/** Stable codes of the errors the repository reports. Callers branch on these, never on messages. */
export type StoreErrorCode =
  /** No `.baton/` in the directory or any parent. */
  | 'BATON_STORE_NOT_FOUND'
  /** The database cannot be opened or read (not SQLite, locked for too long, damaged). */
  | 'BATON_STORE_UNUSABLE'
  /** The database was written by a newer baton (its schema version is unknown here). */
  | 'BATON_STORE_TOO_NEW'
  /** The disk holding the repository is full: what was committed before stays, the write failed. */
  | 'BATON_STORE_DISK_FULL'
  /**
   * The repository cannot be written (a read-only file, directory or file system), and the
   * command writes, or the schema needs upgrading before it can be read.
   */
  | 'BATON_STORE_READ_ONLY'
  /** The database file is damaged (SQLite's integrity check failed, or a read hit bad pages). */
  | 'BATON_STORE_CORRUPT'
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
  | 'BATON_STORE_NO_SUCH_RUN'
  /** A run cannot be removed while a live process still records it. */
  | 'BATON_STORE_RUN_IN_PROGRESS';

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
export function noSuchRun(run: number, profile?: string): StoreError {
  return new StoreError('BATON_STORE_NO_SUCH_RUN', `the repository holds no run ${run}${profile === undefined ? '' : ` of profile ${profile}`}`);
}

/** What a repository's SQLite error means for the user, by SQLite's primary result code. */
const SQLITE_FAILURES: Readonly<Record<string, (file: string, detail: string, options?: ErrorOptions) => StoreError>> = {
  SQLITE_FULL: diskFull,
  SQLITE_READONLY: readOnly,
  SQLITE_CORRUPT: corrupt,
  SQLITE_NOTADB: corrupt,
};

/**
 * The StoreError a failed SQLite call on `file` stands for: the disk is full, the file
 * cannot be written, or it is damaged. Other errors (and StoreErrors) come back as they are.
 */
export function storeErrorOf(error: unknown, file: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof StoreError || typeof code !== 'string') return error;
  // Extended codes (SQLITE_READONLY_DBMOVED, SQLITE_CORRUPT_INDEX, ...) share the primary's meaning.
  const primary = code.match(/^SQLITE_[A-Z]+/)?.[0];
  const make = primary === undefined ? undefined : SQLITE_FAILURES[primary];
  if (make === undefined) return error;
  return make(file, (error as Error).message, { cause: error });
}

/** The disk is full: what is committed stays, and says so. */
export function diskFull(file: string, detail: string, options?: ErrorOptions): StoreError {
  return new StoreError('BATON_STORE_DISK_FULL',
    `the disk holding the repository ${file} is full (${detail}): results recorded before this stay readable, nothing more could be written; free some space and run again`, options);
}

/** The repository cannot be written; `why` says what is read-only. */
export function readOnly(file: string, why: string, options?: ErrorOptions): StoreError {
  return new StoreError('BATON_STORE_READ_ONLY',
    `the repository ${file} cannot be written (${why}); commands that only read it (last, failing, slowest, stats, history, timings export) still work, anything that records needs a writable copy (or --repo pointing at one)`, options);
}

/**
 * The repository is damaged. One message for every command, naming the file and what to
 * do: baton never reads on from bad pages, nor writes a new run into them.
 */
export function corrupt(file: string, detail: string, options?: ErrorOptions): StoreError {
  return new StoreError('BATON_STORE_CORRUPT',
    `the repository ${file} is damaged (SQLite: ${detail}); baton will not use it. Move it aside and start a new one: \`mv ${file} ${file}.damaged && baton init\` (\`sqlite3 ${file}.damaged .recover\` may save some of its history)`, options);
}
