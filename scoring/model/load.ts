import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ScoringModel } from '../../schema/model.ts';

/** One problem in a model file, located as precisely as the parser allows. */
export interface ModelIssue {
  /** `rules[3].when.properties.price.gt`; empty for the whole file. */
  path: string;
  message: string;
  /** 1-based; absent when the path does not exist in the file (a missing key: the parent's line). */
  line?: number;
  column?: number;
}

/**
 * A model file that cannot be used. The message lists every issue as
 * `file:line:column path: message`, one per line, so the process can print it and refuse to start.
 */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly file: string,
    readonly issues: ModelIssue[],
  ) {
    super(`invalid scoring model ${file}:\n${issues.map((i) => `  ${formatIssue(file, i)}`).join('\n')}`);
  }
}

function formatIssue(file: string, i: ModelIssue): string {
  const at = i.line === undefined ? file : `${file}:${i.line}:${i.column ?? 1}`;
  return `${at} ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

/** Reads and validates a `.yaml`, `.yml` or `.json` model file; throws {@link ModelError}. */
export async function loadModelFile(file: string): Promise<ScoringModel> {
  return (await readModelFile(file)).model;
}

/** {@link loadModelFile}, also returning the file's text (what Redis keeps as the active model). */
export async function readModelFile(file: string): Promise<{ model: ScoringModel; text: string }> {
  const ext = extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) {
    throw new ModelError(file, [{ path: '', message: `expected a .yaml, .yml or .json file, got '${ext || 'no extension'}'` }]);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ModelError(file, [{ path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return { model: parseModel(text, file), text };
}

/**
 * Parses model text (YAML, of which JSON is a subset, so both carry line numbers) and validates it.
 * `file` only names the source in errors.
 */
export function parseModel(text: string, file = '<model>'): ScoringModel {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ModelError(
      file,
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { path: '', message: e.message.split('\n')[0] ?? e.message, line: pos.line, column: pos.col };
      }),
    );
  }
  const parsed = ScoringModel.safeParse(doc.toJS({ maxAliasCount: 100 }), { reportInput: true });
  if (parsed.success) return parsed.data;
  throw new ModelError(file, parsed.error.issues.flatMap((issue) => toIssues(issue, doc, lines)));
}

type Path = readonly PropertyKey[];

function toIssues(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter): ModelIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => locate([...issue.path, key], `unknown key '${key}'`, doc, lines, true));
  }
  return [locate(issue.path, describe(issue), doc, lines, false)];
}

/** Zod's default wording is rephrased; messages written in the schema are kept as they are. */
function describe(issue: z.core.$ZodIssue): string {
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? `required (expected ${issue.expected})` : `expected ${issue.expected}, received ${kind(issue.input)}`;
  }
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** `['rules', 3, 'when']` → `rules[3].when`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

/** Finds the deepest node of `path` present in the document; for a key, the key itself. */
function locate(path: Path, message: string, doc: Document, lines: LineCounter, atKey: boolean): ModelIssue {
  let node: unknown = doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (const [i, step] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === step);
      if (!pair) break;
      offset = rangeStart(atKey && last ? pair.key : pair.value) ?? rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number' && node.items[step] !== undefined) {
      node = node.items[step];
      offset = rangeStart(node) ?? offset;
    } else break;
  }
  const pos = offset === undefined ? undefined : lines.linePos(offset);
  return { path: formatPath(path), message, line: pos?.line, column: pos?.col };
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    return range?.[0];
  }
  return undefined;
}
