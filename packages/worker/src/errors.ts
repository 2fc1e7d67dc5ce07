/** Stable codes of worker errors. Callers branch on these, never on messages. */
export type WorkerErrorCode =
  /** The coordinator refused this worker's token. */
  | 'BATON_WORKER_AUTH'
  /** The coordinator did not accept a connection within the wait. */
  | 'BATON_WORKER_CONNECT_TIMEOUT'
  /** An adapter (test server or test command) could not start or list the tests. */
  | 'BATON_WORKER_ADAPTER_FAILED'
  /**
   * This Python cannot fork test servers (no `os.fork`, or the suite's imports left threads
   * running): `pythonAdapter` spawns one per slot instead. Seen in its log line only.
   */
  | 'BATON_WORKER_FORK_UNAVAILABLE'
  /** The fork server exited (discovery failed, or it died), or a forked test server exited before it connected. */
  | 'BATON_WORKER_FORK_FAILED'
  /** The fork server was killed by a signal from outside before it was told to stop: the next start tries a new one. */
  | 'BATON_WORKER_FORK_KILLED'
  /** A test command exited while a test it had started was still running. */
  | 'BATON_WORKER_ADAPTER_DIED'
  /** A worker option is out of range (slots, address). */
  | 'BATON_WORKER_BAD_OPTION'
  /** The worker already serves a coordinator. */
  | 'BATON_WORKER_BUSY';

/** A problem of the worker itself (not of a test: tests fail with attachments instead). */
export class WorkerError extends Error {
  override readonly name: string = 'WorkerError';
  readonly code: WorkerErrorCode;

  constructor(code: WorkerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
