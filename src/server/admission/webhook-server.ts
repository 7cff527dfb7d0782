import { createServer, type Server } from 'node:https';
import express, { type Request, type Response } from 'express';
import { errorHandler, methodNotAllowed, notFound, sendError } from '../http-errors.js';
import { close, listen } from '../listen.js';
import { admit } from './admit.js';
import type { AdmissionLookups } from './lookups.js';
import { parseReview, reviewResponse } from './review.js';

export const WEBHOOK_PATH = '/validate';
export const MAX_REVIEW_BYTES = 1024 * 1024;

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
}

export interface WebhookServerOptions {
  port: number;
  host?: string;
  certificate: ServingCertificate;
  lookups: AdmissionLookups;
  onError?: (err: unknown) => void;
}

export interface WebhookServerHandle {
  port: number;
  server: Server;
  /** Serves a renewed certificate to new connections; no restart. */
  setCertificate(certificate: ServingCertificate): void;
  close(): Promise<void>;
}

export function createWebhookApp(lookups: AdmissionLookups, onError?: (err: unknown) => void) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.post(
    WEBHOOK_PATH,
    (req: Request, res: Response, next) => {
      if (!req.is('application/json')) {
        return sendError(res, 415, 'Content-Type must be application/json');
      }
      next();
    },
    express.json({ limit: MAX_REVIEW_BYTES, strict: false, type: 'application/json' }),
    async (req: Request, res: Response, next) => {
      const parsed = parseReview(req.body);
      if (!parsed.ok) return sendError(res, 400, parsed.error);
      try {
        const verdict = await admit(parsed.review.request, lookups);
        res.status(200).json(reviewResponse(parsed.review.request.uid, verdict));
      } catch (err) {
        next(err);
      }
    },
  );
  app.all(WEBHOOK_PATH, methodNotAllowed(['POST']));
  app.use(notFound);
  app.use(errorHandler(onError));
  return app;
}

/** The validating admission webhook over TLS (admission.k8s.io/v1 AdmissionReview at /validate). */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServerHandle> {
  const server = createServer(
    {
      cert: options.certificate.certPem,
      key: options.certificate.keyPem,
      minVersion: 'TLSv1.2',
      requestTimeout: 30_000,
      headersTimeout: 10_000,
    },
    createWebhookApp(options.lookups, options.onError),
  );
  const port = await listen(server, options.port, options.host ?? '0.0.0.0');
  return {
    port,
    server,
    setCertificate: (certificate) =>
      server.setSecureContext({ cert: certificate.certPem, key: certificate.keyPem, minVersion: 'TLSv1.2' }),
    close: () => close(server),
  };
}
