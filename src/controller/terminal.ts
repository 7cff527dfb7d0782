/**
 * The worker's retry rule, asked of the error itself (controller-runtime's reconcile.TerminalError): an error
 * that is `terminal` ends the key's pass and is not retried with back-off; any other error is.
 */
export interface TerminalError {
  /** Retrying cannot help: the same call would meet the same answer, or this replica may not act any more. */
  readonly terminal: true;
}

/** True for an error marked TerminalError; everything else, thrown values that are not objects included, is retried. */
export function isTerminalError(err: unknown): err is TerminalError {
  return typeof err === 'object' && err !== null && (err as Partial<TerminalError>).terminal === true;
}
