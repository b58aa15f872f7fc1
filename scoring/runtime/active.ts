import type { Redis } from 'ioredis';
import type { Logger } from '../../server/logger.ts';
import type { LogKeys } from '../../server/log/keys.ts';
import { runScript, script } from '../../server/redis.ts';
import { compileModel, type CompiledModel } from '../engine/index.ts';
import { parseModel } from '../model/load.ts';
import { scorerKeys, type ScorerKeys } from './keys.ts';

/** A validated model with its source text (what Redis keeps, so every process scores with the same one). */
export interface ActiveModel {
  name: string;
  /** Where the text came from (names it in errors and logs). */
  file: string;
  /** The file's text, YAML or JSON. */
  source: string;
  compiled: CompiledModel;
}

/** Parses and compiles model text; throws a ModelError naming `file`, line and path. */
export function modelFromSource(source: string, file: string): ActiveModel {
  const model = parseModel(source, file);
  return { name: model.name, file, source, compiled: compileModel(model) };
}

/** The state generation every scorer and reader uses, with its model and keys. */
export interface Generation {
  gen: number;
  model: ActiveModel;
  keys: ScorerKeys;
}

/**
 * Keys of the scoring control plane, one hash tag so a Lua script may touch them all on a cluster:
 * `active` (hash: gen, name, file, source), `pause` (a rescore's token, with a TTL the rescore keeps
 * renewing: a crashed rescore cannot pause scoring for ever), `acks` (hash: scorer member → token).
 */
export function controlKeys(prefix: string) {
  const tag = `${prefix}:{scoring}`;
  return { active: `${tag}:active`, pause: `${tag}:pause`, acks: `${tag}:acks` };
}

/** Creates the active record (generation 1) unless one exists; returns gen, name, file of the active one. */
const SEED = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'gen', '1', 'name', ARGV[1], 'file', ARGV[2], 'source', ARGV[3])
end
return redis.call('HMGET', KEYS[1], 'gen', 'name', 'file')`);

/**
 * The swap: only while the rescore still holds the pause (otherwise scorers may have resumed on
 * the old generation and the new one would miss their writes), set the new generation and model
 * and lift the pause, atomically. Returns 1 when swapped, 0 when the pause was lost.
 */
const SWAP = script(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'gen', ARGV[2], 'name', ARGV[3], 'file', ARGV[4], 'source', ARGV[5])
redis.call('DEL', KEYS[2], KEYS[3])
return 1`);

/** What a scorer reads once per batch: the active generation and whether a rescore asks it to pause. */
export interface Control {
  generation: Generation;
  /** The pausing rescore's token, or null. */
  pause: string | null;
}

/**
 * A process's view of the active generation. Reads are one cheap round trip; the model is parsed
 * and compiled again only when the generation changes.
 */
export class ActiveScoring {
  private readonly ck: ReturnType<typeof controlKeys>;
  private cached: Generation | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: LogKeys,
  ) {
    this.ck = controlKeys(keys.prefix);
  }

  /**
   * Makes `fallback` (WARMLINE_MODEL) the active model at gen 1 when nothing is active yet. When
   * another model is active, that one wins (`rescore` is how the model changes) and it is logged.
   */
  async seed(fallback: ActiveModel, log?: Logger): Promise<Generation> {
    const [gen, name, file] = (await runScript(this.redis, SEED, [this.ck.active], [fallback.name, fallback.file, fallback.source])) as (string | null)[];
    const current = await this.current();
    if (current.model.source !== fallback.source) {
      log?.warn(
        { active: { gen: Number(gen), name, file }, configured: { name: fallback.name, file: fallback.file } },
        'WARMLINE_MODEL differs from the active model in Redis; scoring with the active one (change it with `warmline rescore --model <file>`)',
      );
    }
    return current;
  }

  /** The active generation; with `fallback`, seeded from it when nothing is active yet. */
  async current(fallback?: ActiveModel): Promise<Generation> {
    const gen = await this.redis.hget(this.ck.active, 'gen');
    if (gen === null && fallback) return this.seed(fallback);
    return this.resolve(gen);
  }

  /** The active generation and the pause flag in one round trip. */
  async control(): Promise<Control> {
    const replies = (await this.redis.pipeline().hget(this.ck.active, 'gen').get(this.ck.pause).exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const [gen, pause] = replies.map(([, v]) => v as string | null);
    return { generation: await this.resolve(gen ?? null), pause: pause ?? null };
  }

  /** Tells a pausing rescore this scorer has finished its batch and takes no more. */
  async acknowledgePause(member: string, token: string): Promise<void> {
    await this.redis.hset(this.ck.acks, member, token);
  }

  /** Makes generation `gen` with `model` active and lifts the pause of `token`; false if the pause was lost. */
  async swap(token: string, gen: number, model: ActiveModel): Promise<boolean> {
    const keys = [this.ck.active, this.ck.pause, this.ck.acks];
    return Number(await runScript(this.redis, SWAP, keys, [token, gen, model.name, model.file, model.source])) === 1;
  }

  private async resolve(genText: string | null): Promise<Generation> {
    if (genText === null) throw new Error('no active scoring model in Redis yet (a scorer or collector seeds it from WARMLINE_MODEL at start)');
    if (this.cached?.gen === Number(genText)) return this.cached;
    // Generation and model read together: a swap between two reads would pair them wrongly.
    const [gen, name, file, source] = await this.redis.hmget(this.ck.active, 'gen', 'name', 'file', 'source');
    if (!gen || !source) throw new Error(`active scoring record ${this.ck.active} is incomplete`);
    const model = modelFromSource(source, file ?? name ?? 'active model');
    this.cached = { gen: Number(gen), model, keys: scorerKeys(this.keys, Number(gen)) };
    return this.cached;
  }
}
