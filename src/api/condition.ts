import { z } from 'zod';

export const ConditionStatusSchema = z.enum(['True', 'False', 'Unknown']);

/** The metav1.Condition shape. */
export const ConditionSchema = z.object({
  type: z.string().min(1).max(316).describe('The condition type, CamelCase.'),
  status: ConditionStatusSchema.describe('True, False or Unknown.'),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .describe('Why the condition is in this status: CamelCase, machine-readable.'),
  message: z.string().max(32768).describe('Human-readable details; may be empty.'),
  lastTransitionTime: z.iso.datetime().describe('When the status last changed.'),
  observedGeneration: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('The metadata.generation the condition was set for.'),
});
export type Condition = z.infer<typeof ConditionSchema>;
