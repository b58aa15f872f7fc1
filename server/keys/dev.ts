import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { generateKey, type KeyStore } from './workspaces.ts';

export const DEV_WORKSPACE = 'dev';

const DevKeys = z.object({ writeKey: z.string().min(8), secretKey: z.string().min(8) });
type DevKeys = z.infer<typeof DevKeys>;

/**
 * Seeds the dev workspace with `WARMLINE_DEV_WRITE_KEY` / `WARMLINE_DEV_SECRET_KEY`, or with keys
 * generated once and kept in the data dir, so a restart keeps the keys a newcomer already pasted.
 */
export async function seedDevWorkspace(store: KeyStore, config: Config): Promise<DevKeys & { generated: boolean }> {
  const file = join(config.WARMLINE_DATA_DIR, 'dev-keys.json');
  let saved: DevKeys | undefined;
  try {
    saved = DevKeys.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    saved = undefined;
  }
  const keys: DevKeys = {
    writeKey: config.WARMLINE_DEV_WRITE_KEY ?? saved?.writeKey ?? generateKey('write'),
    secretKey: config.WARMLINE_DEV_SECRET_KEY ?? saved?.secretKey ?? generateKey('secret'),
  };
  const generated = !config.WARMLINE_DEV_WRITE_KEY || !config.WARMLINE_DEV_SECRET_KEY;
  if (generated) {
    mkdirSync(config.WARMLINE_DATA_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  }
  await store.ensureWorkspace(DEV_WORKSPACE, 'Development');
  await store.addKey(DEV_WORKSPACE, 'write', keys.writeKey, { label: 'Development write key' });
  await store.addKey(DEV_WORKSPACE, 'secret', keys.secretKey, { label: 'Development secret key' });
  return { ...keys, generated };
}
