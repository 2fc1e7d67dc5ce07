/**
 * Stable codes of the dashboard's errors. The API answers with them in its JSON error
 * bodies (`{"error": {"code", "message"}}`), each with its HTTP status (`HTTP_STATUS`);
 * `INTERNAL` is a failure without a code of its own (a bug); `LISTEN` is the server
 * failing to start (the address is taken or cannot be had).
 */
export type DashboardErrorCode =
  | 'BATON_DASHBOARD_NOT_FOUND'
  | 'BATON_DASHBOARD_BAD_PARAM'
  | 'BATON_DASHBOARD_METHOD'
  | 'BATON_DASHBOARD_UNAUTHORIZED'
  | 'BATON_DASHBOARD_INTERNAL'
  | 'BATON_DASHBOARD_LISTEN';

/** The HTTP status each error answers with. */
export const HTTP_STATUS: Readonly<Record<DashboardErrorCode, number>> = {
  BATON_DASHBOARD_NOT_FOUND: 404,
  BATON_DASHBOARD_BAD_PARAM: 400,
  BATON_DASHBOARD_METHOD: 405,
  BATON_DASHBOARD_UNAUTHORIZED: 401,
  BATON_DASHBOARD_INTERNAL: 500,
  // Never an answer: the server did not start.
  BATON_DASHBOARD_LISTEN: 500,
};

/** A request the dashboard cannot answer as asked, or a server that cannot start. */
export class DashboardError extends Error {
  override readonly name = 'DashboardError';
  readonly code: DashboardErrorCode;

  constructor(code: DashboardErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export const notFound = (message: string): DashboardError => new DashboardError('BATON_DASHBOARD_NOT_FOUND', message);
export const badParam = (message: string): DashboardError => new DashboardError('BATON_DASHBOARD_BAD_PARAM', message);
