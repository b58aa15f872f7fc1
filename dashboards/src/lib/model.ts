import type { ModelResponse } from '../../../schema/dashboard.ts';
import { api } from './api.ts';

/** What the pages need from the active model (`GET /api/model`, whose `model` is the parsed file). */
export interface ModelFacts {
  name: string;
  conversionEvent: string;
  segments: { id: string; name: string }[];
  thresholds: { id: string; score: number }[];
  /** The highest threshold: crossing it up makes a feed card "hot". */
  top: { id: string; score: number } | undefined;
  raw: ModelResponse;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);

export function modelFacts(raw: ModelResponse): ModelFacts {
  const m = isRecord(raw.model) ? raw.model : {};
  const segments = list(m.segments)
    .filter((s) => typeof s.id === 'string')
    .map((s) => ({ id: String(s.id), name: typeof s.name === 'string' ? s.name : String(s.id) }));
  const thresholds = list(m.thresholds)
    .filter((t) => typeof t.id === 'string' && typeof t.score === 'number')
    .map((t) => ({ id: String(t.id), score: Number(t.score) }))
    .sort((a, b) => a.score - b.score);
  return { name: raw.name, conversionEvent: raw.conversionEvent, segments, thresholds, top: thresholds.at(-1), raw };
}

let cached: Promise<ModelFacts> | undefined;

/** The active model, fetched once per page load (it changes only through `warmline rescore`). */
export function loadModel(): Promise<ModelFacts> {
  cached ??= api<ModelResponse>('/api/model')
    .then(modelFacts)
    .catch((err: unknown) => {
      cached = undefined;
      throw err;
    });
  return cached;
}
