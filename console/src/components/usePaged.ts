import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage, SignedOutError, type Page } from '../api';

/** A paginated admin list ({items, nextCursor}): the first page, then "Load more". */
export function usePaged<T>(path: string | null) {
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (cursor?: string) => {
      if (path === null) return;
      setLoading(true);
      setError(null);
      try {
        const separator = path.includes('?') ? '&' : '?';
        const url = cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path;
        const page = await api.get<Page<T>>(url);
        setItems((previous) => (cursor ? [...previous, ...page.items] : page.items));
        setNextCursor(page.nextCursor ?? null);
      } catch (caught) {
        if (!(caught instanceof SignedOutError)) setError(errorMessage(caught));
      } finally {
        setLoading(false);
      }
    },
    [path],
  );

  useEffect(() => {
    void load();
  }, [load]);

  return {
    items,
    nextCursor,
    loading,
    error,
    reload: () => load(),
    loadMore: () => (nextCursor ? load(nextCursor) : Promise.resolve()),
  };
}
