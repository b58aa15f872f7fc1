import { z } from 'zod';

/** Why a signal fired. */
export const SignalKind = z.enum(['segment.entered', 'segment.exited', 'threshold.crossed']);
export type SignalKind = z.infer<typeof SignalKind>;

/** A rule's share of the score when the signal fired. */
export const SignalReason = z.object({
  rule: z.string(),
  kind: z.enum(['behaviour', 'fit']),
  points: z.number(),
  description: z.string().optional(),
});

/**
 * One high-intent signal, as the scorer writes it to the `signals` streams and delivery sends it on
 * (live feed, webhooks). Versioned: `v` changes only with a migration path for consumers.
 */
export const Signal = z.object({
  v: z.literal(1),
  /** Stable id: the same signal re-emitted after a crash keeps it, so receivers can dedupe. */
  id: z.string(),
  kind: SignalKind,
  workspaceId: z.string(),
  /** The profile: userId once known, else the anonymousId. */
  userKey: z.string(),
  segment: z.string().optional(),
  threshold: z.string().optional(),
  direction: z.enum(['up', 'down']).optional(),
  score: z.number(),
  /** The top contributing rules (decayed), largest first. */
  reasons: z.array(SignalReason),
  traits: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** The event that triggered it; absent when a timer (absence rule, decay) did. */
  trigger: z
    .object({ messageId: z.string(), type: z.string(), name: z.string().nullable(), timestamp: z.string() })
    .optional(),
  at: z.string(),
});
export type Signal = z.infer<typeof Signal>;
