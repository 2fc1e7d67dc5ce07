/**
 * Stable codes of the coordinator's errors. `REFUSED` travels to a worker in an Error
 * message when it is not let in; `INTERNAL` is a broken invariant.
 */
export type CoordinatorErrorCode = 'BATON_COORDINATOR_REFUSED' | 'BATON_COORDINATOR_INTERNAL';

/** A run could not be carried out as asked. */
export class CoordinatorError extends Error {
  override readonly name = 'CoordinatorError';
  readonly code: CoordinatorErrorCode;

  constructor(code: CoordinatorErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
