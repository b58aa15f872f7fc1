import { partitionOf, type LogKeys } from '../../server/log/keys.ts';

/**
 * Redis keys of the scorer. A profile lives in the partition of its user key (hash tag `{p<n>}`), next
 * to that partition's log, lease, timers and output streams.
 *
 * Profile state (profiles, anonymous-id sets, timers, aliases) belongs to a generation: `rescore`
 * builds generation n+1 beside the live one and swaps the active generation (scoring/runtime/active.ts).
 * Generation 1 keeps the key names of before generations existed; later ones insert `:g<n>`.
 * Signals and score history are outputs, not state: they have no generation.
 */
export function scorerKeys(keys: LogKeys, generation = 1) {
  const gen = generation === 1 ? '' : `:g${generation}`;
  const tag = (p: number) => `${keys.prefix}:{p${p}}`;
  const state = (p: number) => `${tag(p)}${gen}`;
  return {
    generation,
    partitionOf: (userKey: string) => partitionOf(userKey, keys.partitions),
    profile: (p: number, ws: string, userKey: string) => `${state(p)}:prof:${ws}:${userKey}`,
    /** The anonymous ids stitched into a profile. */
    anonymousIds: (p: number, ws: string, userKey: string) => `${state(p)}:ids:${ws}:${userKey}`,
    /** Timers: member `<ws>\n<userKey>`, score = when `applyDue` must run. */
    due: (p: number) => `${state(p)}:due`,
    /** Signals (segment entries/exits, threshold crossings), one entry per signal, field `sg`. */
    signals: (p: number) => `${tag(p)}:signals`,
    /** Score history rows for ClickHouse, NDJSON in field `sc`. */
    scores: (p: number) => `${tag(p)}:scores`,
    /** Score-history entries the ClickHouse sink could not store (same hash tag as `scores`). */
    scoresDeadLetter: (p: number) => `${tag(p)}:scores:dlq`,
    /** anonymousId → userId after identity stitching (not partition-local: looked up before routing). */
    alias: (ws: string, anonymousId: string) => `${keys.prefix}${gen}:alias:${ws}:${anonymousId}`,
    /**
     * SCAN patterns covering every key of this generation (each a literal prefix, so no other
     * generation's key can match): for dropping a generation once it is replaced.
     */
    statePatterns: (): string[] => [
      ...Array.from({ length: keys.partitions }, (_, p) => [`${state(p)}:prof:*`, `${state(p)}:ids:*`, `${state(p)}:due`]).flat(),
      `${keys.prefix}${gen}:alias:*`,
    ],
  };
}
export type ScorerKeys = ReturnType<typeof scorerKeys>;

/** The field of a `scores` entry: newline-delimited `score_changes` rows (see outputs.ts `scoreRowOf`; store.ts writes it). */
export const SCORE_ROWS_FIELD = 'sc';

export const dueMember = (ws: string, userKey: string) => `${ws}\n${userKey}`;
export function parseDueMember(member: string): { workspaceId: string; userKey: string } {
  const i = member.indexOf('\n');
  return { workspaceId: member.slice(0, i), userKey: member.slice(i + 1) };
}
