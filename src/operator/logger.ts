import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs on stdout; every line of a reconcile carries the node (and remediation) name and the
 * reconcile's own reconcileID.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { component: 'chainmedic-operator' } });
}
