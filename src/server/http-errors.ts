import type { ErrorRequestHandler, Request, Response } from 'express';

/** Every error answer is one small JSON object; never a stack trace, never HTML. */
export function sendError(res: Response, status: number, message: string): void {
  if (res.headersSent) return;
  res
    .status(status)
    .type('application/json')
    .send(JSON.stringify({ status, error: message }));
}

/** Answers for the known paths with a method they do not serve (405 + Allow). */
export function methodNotAllowed(allowed: readonly string[]) {
  return (req: Request, res: Response): void => {
    res.setHeader('Allow', allowed.join(', '));
    sendError(
      res,
      405,
      `method ${req.method} is not allowed on ${req.path} (allowed: ${allowed.join(', ')})`,
    );
  };
}

export function notFound(req: Request, res: Response): void {
  sendError(res, 404, `no such path: ${req.path}`);
}

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/**
 * Express's last error handler. Client errors raised by body parsers (413 too large, 400 malformed JSON,
 * 415 unsupported charset) keep their status and a short message; anything else is a 500 with no detail.
 */
export function errorHandler(onInternal?: (err: unknown) => void): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const e = (err ?? {}) as HttpishError;
    const status = e.status ?? e.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message =
        e.type === 'entity.too.large'
          ? 'request body too large'
          : e.type === 'entity.parse.failed'
            ? 'request body is not valid JSON'
            : e.expose && e.message
              ? e.message
              : 'bad request';
      sendError(res, status, message);
      return;
    }
    onInternal?.(err);
    sendError(res, 500, 'internal error');
  };
}
