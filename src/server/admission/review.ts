import { z } from 'zod';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

const GroupVersionKind = z.object({ group: z.string(), version: z.string(), kind: z.string() });

/** The parts of an admission.k8s.io/v1 AdmissionReview request the webhook reads. */
export const AdmissionReviewSchema = z.object({
  apiVersion: z.literal(ADMISSION_API_VERSION),
  kind: z.literal('AdmissionReview'),
  request: z.object({
    uid: z.string().min(1).max(128),
    kind: GroupVersionKind,
    resource: z.object({ group: z.string(), version: z.string(), resource: z.string() }).optional(),
    name: z.string().optional(),
    operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
    object: z.unknown().optional(),
    oldObject: z.unknown().optional(),
    dryRun: z.boolean().optional(),
  }),
});
export type AdmissionReview = z.infer<typeof AdmissionReviewSchema>;
export type AdmissionRequest = AdmissionReview['request'];

export type Verdict =
  | { allowed: true; warnings?: string[] }
  | { allowed: false; code: number; reason: string; problems: string[] };

export const allow = (warnings: string[] = []): Verdict =>
  warnings.length > 0 ? { allowed: true, warnings } : { allowed: true };

/** 422 Invalid: the object itself is wrong. */
export const invalid = (problems: string[]): Verdict => ({
  allowed: false,
  code: 422,
  reason: 'Invalid',
  problems,
});

/** 403 Forbidden: the object is well-formed but the cluster's state does not allow it. */
export const forbidden = (problems: string[]): Verdict => ({
  allowed: false,
  code: 403,
  reason: 'Forbidden',
  problems,
});

/** Parses a decoded body; the error names the first thing that is not an AdmissionReview. */
export function parseReview(
  body: unknown,
): { ok: true; review: AdmissionReview } | { ok: false; error: string } {
  const parsed = AdmissionReviewSchema.safeParse(body);
  if (parsed.success) return { ok: true, review: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(body)';
  return {
    ok: false,
    error: `not an ${ADMISSION_API_VERSION} AdmissionReview: ${where}: ${issue?.message ?? 'invalid'}`,
  };
}

/** The AdmissionReview the API server expects back: same uid, and on denial a Status with every problem. */
export function reviewResponse(uid: string, verdict: Verdict) {
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response: verdict.allowed
      ? { uid, allowed: true, ...(verdict.warnings ? { warnings: verdict.warnings } : {}) }
      : {
          uid,
          allowed: false,
          status: {
            code: verdict.code,
            reason: verdict.reason,
            message: verdict.problems.join('; '),
          },
        },
  };
}
