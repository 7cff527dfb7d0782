import { z } from 'zod';

export const ConditionStatusSchema = z.enum(['True', 'False', 'Unknown']);

/** The metav1.Condition shape. */
export const ConditionSchema = z.object({
  type: z.string().min(1).max(316),
  status: ConditionStatusSchema,
  reason: z.string().min(1).max(1024),
  message: z.string().max(32768),
  lastTransitionTime: z.iso.datetime(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type Condition = z.infer<typeof ConditionSchema>;
