import { pino, type Logger } from 'pino';

/** Structured JSON logs on stdout; every line of a reconcile carries the node (and remediation) name. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { component: 'chainmedic-operator' } });
}
