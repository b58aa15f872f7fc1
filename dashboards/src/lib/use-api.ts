import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';

export type Loaded<T> = { state: 'loading' } | { state: 'error'; message: string; status: number } | { state: 'ok'; data: T };

/** Loads `path` (null: nothing yet) and reloads when it changes; `reload()` fetches again. */
export function useApi<T>(path: string | null): Loaded<T> & { reload: () => void } {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setResult({ state: 'loading' });
    api<T>(path).then(
      (data) => live && setResult({ state: 'ok', data }),
      (err: unknown) =>
        live &&
        setResult({
          state: 'error',
          message: err instanceof Error ? err.message : String(err),
          status: (err as { status?: number }).status ?? 0,
        }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...result, reload };
}
