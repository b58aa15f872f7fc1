import type { Redis } from 'ioredis';
import type { Logger } from '../../server/logger.ts';
import { ENTRY_EVENTS } from '../../server/log/keys.ts';
import type { LogEntry } from '../../server/log/replies.ts';
import type { StoredEvent } from '../../schema/stored-event.ts';
import { applyEvent, eventTime, mergeProfiles, type CompiledModel, type ScoreResult, type ScoreState } from '../engine/index.ts';
import { dueMember, type ScorerKeys } from './keys.ts';
import { idsOf, route } from './identity.ts';
import { signalsOf, scoreRowOf, type Trigger } from './outputs.ts';
import { loadProfiles, writeProfiles, type PartitionWrite, type ProfileUpdate, type StoredProfile } from './store.ts';

export interface SourcedEvent {
  e: StoredEvent;
  /** The log partition the event came from (its lease fences the write). */
  source: number;
}

/** The events of a batch of entries, in log order; a line that is not JSON is skipped and logged. */
export function parseEvents(entries: LogEntry[], log: Logger): SourcedEvent[] {
  const out: SourcedEvent[] = [];
  for (const entry of entries) {
    for (let i = 0; i + 1 < entry.fields.length; i += 2) {
      if (entry.fields[i] !== ENTRY_EVENTS) continue;
      for (const line of (entry.fields[i + 1] ?? '').split('\n')) {
        try {
          out.push({ e: JSON.parse(line) as StoredEvent, source: entry.partition });
        } catch (err) {
          log.warn({ err, entry: entry.id }, 'skipping an unparseable log line');
        }
      }
    }
  }
  return out;
}

/** One profile's share of a batch (from one source partition), with its stored state. */
export interface Group {
  workspaceId: string;
  userKey: string;
  /** The profile's own partition (where its keys live). */
  partition: number;
  sourcePartition: number;
  items: { e: StoredEvent; mergeFrom?: string }[];
  loaded: StoredProfile;
  anonymous?: { userKey: string; partition: number; loaded: StoredProfile };
  /** Filled by `scoreGroup`. */
  applied: number;
  signalCount: number;
  receivedAt: number[];
}

/**
 * Routes a batch's events to profiles (identity stitching) and loads those profiles, in two round
 * trips whatever the batch size: alias look-ups, then profile reads.
 */
export async function planBatch(redis: Redis, sk: ScorerKeys, events: SourcedEvent[]): Promise<Group[]> {
  const aliasIds = [...new Set(events.flatMap(({ e }) => {
    const a = idsOf(e).anonymousId;
    return a ? [`${e.workspaceId}\n${a}`] : [];
  }))];
  const aliases = new Map<string, Map<string, string | null>>();
  if (aliasIds.length) {
    const found = await redis.mget(...aliasIds.map((id) => sk.alias(id.split('\n')[0]!, id.slice(id.indexOf('\n') + 1))));
    aliasIds.forEach((id, i) => {
      const [ws, anon] = [id.slice(0, id.indexOf('\n')), id.slice(id.indexOf('\n') + 1)];
      const m = aliases.get(ws) ?? new Map<string, string | null>();
      m.set(anon, found[i] ?? null);
      aliases.set(ws, m);
    });
  }
  const groups = new Map<string, Group>();
  for (const { e, source } of events) {
    const { profile, mergeFrom } = route(e, aliases.get(e.workspaceId) ?? new Map());
    const key = `${source}\n${e.workspaceId}\n${profile}`;
    let g = groups.get(key);
    if (!g) {
      g = { workspaceId: e.workspaceId, userKey: profile, partition: sk.partitionOf(profile), sourcePartition: source, items: [], loaded: { version: '', state: undefined }, applied: 0, signalCount: 0, receivedAt: [] };
      groups.set(key, g);
    }
    // One merge per profile and batch: the alias it writes routes the rest.
    const merging = mergeFrom !== undefined && !g.anonymous && !g.items.some((i) => i.mergeFrom);
    g.items.push(merging ? { e, mergeFrom } : { e });
    if (merging) g.anonymous = { userKey: mergeFrom, partition: sk.partitionOf(mergeFrom), loaded: { version: '', state: undefined } };
  }
  const list = [...groups.values()];
  await reloadGroups(redis, sk, list);
  return list;
}

/** (Re)reads the stored profiles of groups, e.g. after a write conflict. */
export async function reloadGroups(redis: Redis, sk: ScorerKeys, groups: Group[]): Promise<void> {
  const keys: string[] = [];
  for (const g of groups) {
    keys.push(sk.profile(g.partition, g.workspaceId, g.userKey));
    if (g.anonymous) keys.push(sk.profile(g.anonymous.partition, g.workspaceId, g.anonymous.userKey));
  }
  const loaded = await loadProfiles(redis, keys);
  let i = 0;
  for (const g of groups) {
    g.loaded = loaded[i++]!;
    if (g.anonymous) g.anonymous.loaded = loaded[i++]!;
  }
}

/** The event behind a change, as signals and score-history rows name it. */
export const triggerOf = (e: StoredEvent): Trigger => {
  const name = e.type === 'track' ? e.event.event : e.event.name;
  return { messageId: e.messageId, type: e.type, name: typeof name === 'string' ? name : null, timestamp: e.timestamp };
};

/**
 * Scores a group's events in order (folding in the anonymous profile it links first) and says what
 * to write; undefined when nothing changed (all duplicates or ignored). Pure apart from filling the
 * group's counters.
 */
export function scoreGroup(
  cm: CompiledModel,
  modelName: string,
  sk: ScorerKeys,
  g: Group,
  now: number,
): ProfileUpdate | undefined {
  const ws = g.workspaceId;
  let state: ScoreState | undefined = g.loaded.state;
  let changed = false;
  let dueAt: number | null = null;
  const scoreRows: string[] = [];
  const signals: string[] = [];
  g.applied = 0;
  g.receivedAt = [];
  for (const { e, mergeFrom } of g.items) {
    if (mergeFrom && g.anonymous) {
      changed = true; // the alias is written even when there was no anonymous profile to fold in
      const anon = g.anonymous.loaded.state;
      if (anon) {
        // At the identifying event's time, not the scorer's: a late or imported event must not move the
        // profile's clock (and its segment entries) to the moment it was processed.
        const merged = mergeProfiles(cm, state, anon, eventTime(e, now), { anonymousKey: `${ws}\n${mergeFrom}` });
        if (!merged.changes.duplicate) {
          state = merged.state;
          dueAt = merged.changes.nextDueAt;
          outputsOf(ws, g.userKey, merged, triggerOf(e), modelName, signals, scoreRows);
        }
      }
    }
    const r = applyEvent(cm, state, e, now);
    if (r.changes.duplicate || r.changes.ignored) continue;
    g.applied++;
    g.receivedAt.push(Date.parse(e.receivedAt));
    state = r.state;
    changed = true;
    dueAt = r.changes.nextDueAt;
    outputsOf(ws, g.userKey, r, triggerOf(e), modelName, signals, scoreRows);
  }
  g.signalCount = signals.length;
  if (!changed || !state) return undefined;
  const write: ProfileUpdate = {
    profileKey: sk.profile(g.partition, ws, g.userKey),
    expectedVersion: g.loaded.version,
    state,
    dueMember: dueMember(ws, g.userKey),
    dueAt,
    scoreRows,
    signals,
  };
  if (g.anonymous) {
    write.merge = {
      anonymousProfileKey: sk.profile(g.anonymous.partition, ws, g.anonymous.userKey),
      expectedVersion: g.anonymous.loaded.version,
      aliasKey: sk.alias(ws, g.anonymous.userKey),
      aliasTarget: g.userKey,
      anonymousId: g.anonymous.userKey,
      idsKey: sk.anonymousIds(g.partition, ws, g.userKey),
    };
  }
  return write;
}

/** Appends what one engine result emits: its signals (serialised) and its score-history row. */
function outputsOf(ws: string, userKey: string, result: ScoreResult, trigger: Trigger, modelName: string, signals: string[], scoreRows: string[]): void {
  for (const s of signalsOf(ws, userKey, result.changes, result.state, trigger)) signals.push(JSON.stringify(s));
  const row = scoreRowOf(ws, userKey, result.changes, trigger, modelName);
  if (row) scoreRows.push(row);
}

/** The partition-level part of a write (lease fence, output streams) for a source and profile partition. */
export type Fence = (source: number, partition: number, updates: ProfileUpdate[]) => PartitionWrite;

/**
 * Scores and writes groups, one atomic call per (source partition, profile partition); groups whose
 * profile another writer moved meanwhile are reloaded and rescored. False when a lease was lost.
 * Shared by the live scorer and `rescore`, so a replay goes through exactly the live path.
 */
export async function writeGroups(redis: Redis, sk: ScorerKeys, cm: CompiledModel, modelName: string, groups: Group[], fence: Fence): Promise<boolean> {
  // Profiles that fold in an anonymous one go second: the anonymous profile's own events of this
  // batch may live in another partition's write, and a merge that ran first would find nothing to
  // fold and leave that profile behind, orphaned (its version check only sees what is written).
  for (const wave of [groups.filter((g) => !g.anonymous), groups.filter((g) => g.anonymous)]) {
    if (!(await writeWave(redis, sk, cm, modelName, wave, fence))) return false;
  }
  return true;
}

async function writeWave(redis: Redis, sk: ScorerKeys, cm: CompiledModel, modelName: string, groups: Group[], fence: Fence): Promise<boolean> {
  let pending = groups;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 5) throw new Error(`profile writes kept conflicting for ${pending.length} profiles`);
    if (attempt > 0) await reloadGroups(redis, sk, pending);
    const buckets = new Map<string, { source: number; partition: number; groups: Group[]; updates: ProfileUpdate[] }>();
    const now = Date.now();
    for (const g of pending) {
      const update = scoreGroup(cm, modelName, sk, g, now);
      if (!update) continue;
      const key = `${g.sourcePartition}:${g.partition}`;
      const bucket = buckets.get(key) ?? { source: g.sourcePartition, partition: g.partition, groups: [], updates: [] };
      bucket.groups.push(g);
      bucket.updates.push(update);
      buckets.set(key, bucket);
    }
    const results = await Promise.all([...buckets.values()].map((b) => writeProfiles(redis, fence(b.source, b.partition, b.updates))));
    if (results.includes('lease_lost')) return false;
    pending = [...buckets.values()].flatMap((b, i) => b.groups.filter((_, j) => !(results[i] as boolean[])[j]));
  }
  return true;
}
