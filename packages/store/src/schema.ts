// Numbered migrations. `PRAGMA user_version` holds how many have run; each runs in its
// own transaction with the version bump, so a crash leaves the schema at a whole step.
// Append only: never edit a migration that has shipped.

/** Migration N (1-based) is `MIGRATIONS[N - 1]`. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE tests (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
  );
  CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    profile          TEXT NOT NULL,
    start_us         INTEGER NOT NULL,
    stop_us          INTEGER,
    source           TEXT,
    selection_digest TEXT,
    plan_digest      TEXT,
    workers          INTEGER,
    exit_status      INTEGER,
    complete         INTEGER NOT NULL DEFAULT 0,
    partial          INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX runs_profile ON runs (profile, id);
  CREATE INDEX runs_source ON runs (source) WHERE source IS NOT NULL;
  -- status is the subunit 3-bit code; tags a JSON array or NULL; details the packed
  -- attachments or NULL. seq orders the results of one worker within a run.
  CREATE TABLE results (
    run      INTEGER NOT NULL REFERENCES runs (id),
    test     INTEGER NOT NULL REFERENCES tests (id),
    status   INTEGER NOT NULL,
    start_us INTEGER,
    stop_us  INTEGER,
    worker   TEXT,
    seq      INTEGER NOT NULL,
    tags     TEXT,
    details  BLOB
  );
  CREATE INDEX results_run ON results (run);
  CREATE INDEX results_test ON results (test, run);
  -- One row per (profile, test), updated with every result: the scheduler's estimates
  -- and the failing set (last_status) without scanning results.
  CREATE TABLE timings (
    profile       TEXT NOT NULL,
    test          INTEGER NOT NULL REFERENCES tests (id),
    estimate      REAL,
    last_duration REAL,
    count         INTEGER NOT NULL,
    failures      INTEGER NOT NULL,
    last_status   INTEGER NOT NULL,
    last_run      INTEGER,
    updated_us    INTEGER,
    PRIMARY KEY (profile, test)
  ) WITHOUT ROWID;
  -- Codes 2, 4, 6 are inprogress, uxsuccess, fail (@baton/subunit's FAILING_STATUSES).
  CREATE INDEX timings_failing ON timings (profile, test) WHERE last_status IN (2, 4, 6);
  `,
  `
  -- generation counts the write transactions that changed a profile's timings; the
  -- estimate index (estimate-index.ts) is valid only while it matches index_generation.
  CREATE TABLE profile_state (
    profile          TEXT PRIMARY KEY,
    generation       INTEGER NOT NULL,
    index_generation INTEGER,
    estimate_index   BLOB
  );
  `,
  `
  -- The test id's hash beside its timing, so that building the index reads no names.
  -- baton_hash is estimate-index.ts hashTestId, registered on every connection.
  ALTER TABLE timings ADD COLUMN hash INTEGER;
  UPDATE timings SET hash = (SELECT baton_hash(name) FROM tests WHERE tests.id = timings.test);
  UPDATE profile_state SET index_generation = NULL, estimate_index = NULL;
  `,
  `
  -- The estimate index gets a table of its own: profile_state's row is rewritten by every
  -- write transaction, and with the index in that row each batch of results copied the
  -- whole blob (a megabyte for 20,000 tests). An index is valid while its generation
  -- equals the profile's. Indexes of the old layout are dropped; each profile's next
  -- finished run or timings import builds one in the new (estimate-index.ts).
  CREATE TABLE estimate_index (
    profile    TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    entries    BLOB NOT NULL
  );
  ALTER TABLE profile_state DROP COLUMN estimate_index;
  ALTER TABLE profile_state DROP COLUMN index_generation;
  `,
  `
  -- The planner never chose timings_failing: failing() reads the profile's range of the
  -- primary key instead. Yet every result's upsert sets last_status, which its WHERE
  -- reads, and that cost a third of the upsert (~3 µs a result, measured).
  DROP INDEX timings_failing;
  `,
  `
  -- Results are appended as they arrive; what they teach per test (its timing, its place
  -- in the test's history) is folded in later, in bulk (fold.ts). Kept up to date per
  -- result, those two B-trees each took a page write a result once a run came in another
  -- order than the run before. test_results replaces the index results_test, which
  -- SQLite could not fill later. It holds results' rowids, which never change: results
  -- are never deleted, so even a VACUUM keeps them. Its rows come from results, whose
  -- test column is checked already.
  CREATE TABLE test_results (
    test   INTEGER NOT NULL,
    result INTEGER NOT NULL,
    PRIMARY KEY (test, result)
  ) WITHOUT ROWID;
  INSERT INTO test_results (test, result) SELECT test, rowid FROM results ORDER BY test, rowid;
  DROP INDEX results_test;
  -- Results up to this rowid are folded into timings and test_results.
  CREATE TABLE fold_state (folded_through INTEGER NOT NULL);
  INSERT INTO fold_state SELECT coalesce(max(rowid), 0) FROM results;
  -- Each test's hash once, for the folds to copy into new timings (baton_hash per folded
  -- result cost a call into JS each).
  ALTER TABLE tests ADD COLUMN hash INTEGER;
  UPDATE tests SET hash = baton_hash(name);
  `,
  `
  -- Tests of the run's selection that had a timing in its profile when it began: 0 is a
  -- run scheduled without any history, what a run with history is measured against.
  -- NULL for imported runs and for runs recorded before this column.
  ALTER TABLE runs ADD COLUMN known INTEGER;
  `,
  `
  -- The process recording a run: a run that is not complete is in progress while it
  -- lives, and was cut short once it is gone.
  ALTER TABLE runs ADD COLUMN writer_host TEXT;
  ALTER TABLE runs ADD COLUMN writer_pid INTEGER;
  `,
  `
  -- baton bisect's progress, so that an interrupted bisection resumes where it stopped
  -- (bisections.ts). prefix: the ids its process ran before the test, in order, as a JSON
  -- array (candidates are sets of positions in it); state and outcome: the CLI's search,
  -- as JSON the store does not read. A removed run takes its bisections with it.
  CREATE TABLE bisections (
    id         INTEGER PRIMARY KEY,
    run        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    test       INTEGER NOT NULL REFERENCES tests (id),
    worker     TEXT,
    prefix     TEXT NOT NULL,
    state      TEXT NOT NULL,
    outcome    TEXT,
    executions INTEGER NOT NULL DEFAULT 0,
    seconds    REAL NOT NULL DEFAULT 0,
    started_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL,
    UNIQUE (run, test)
  );
  -- Per candidate (a set of the prefix's tests, under the key the search gives it): how
  -- often the test ran after it in a fresh process, and how often it failed there.
  CREATE TABLE bisect_evidence (
    bisection INTEGER NOT NULL REFERENCES bisections (id) ON DELETE CASCADE,
    candidate TEXT NOT NULL,
    runs      INTEGER NOT NULL,
    failures  INTEGER NOT NULL,
    PRIMARY KEY (bisection, candidate)
  ) WITHOUT ROWID;
  `,
  `
  -- The run's lower bound in seconds, as the coordinator computed it at the end from the
  -- tests' durations with its plan's segments and its groups: a reader can only count
  -- each test as a unit of its own, which for a grouped or planned run is lower.
  ALTER TABLE runs ADD COLUMN lower_bound REAL;
  -- Test server processes a worker slot continued on beyond its first: cause 'fresh' to go
  -- back in discovery order (after a steal), 'restart' after one died. asked: when the
  -- worker asked for it, ready: when it could run tests, from: when the slot handed it its
  -- first ones. A removed run takes them with it.
  CREATE TABLE process_starts (
    run      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    worker   TEXT NOT NULL,
    cause    TEXT NOT NULL,
    asked_us INTEGER NOT NULL,
    ready_us INTEGER NOT NULL,
    from_us  INTEGER NOT NULL
  );
  CREATE INDEX process_starts_run ON process_starts (run);
  `,
  `
  -- baton run --retries: which attempt at its test a result was (NULL: the first), and the
  -- failed attempts that were tried again, which are not results (a run holds one result
  -- per test): in the order recorded, with the columns of a result. seq shares the
  -- worker's sequence with results, so what a worker ran, in order, takes both tables.
  -- A removed run takes its attempts with it.
  ALTER TABLE results ADD COLUMN attempt INTEGER;
  CREATE TABLE attempts (
    run      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    test     INTEGER NOT NULL REFERENCES tests (id),
    attempt  INTEGER NOT NULL,
    status   INTEGER NOT NULL,
    start_us INTEGER,
    stop_us  INTEGER,
    worker   TEXT,
    seq      INTEGER NOT NULL,
    tags     TEXT,
    details  BLOB,
    UNIQUE (run, test, attempt)
  );
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;
