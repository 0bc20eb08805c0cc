import { createContext, useContext } from 'react';
import type { SessionInfo } from './api';

export const SessionContext = createContext<SessionInfo | null>(null);

export function useSessionInfo(): SessionInfo {
  const session = useContext(SessionContext);
  if (!session) throw new Error('No session');
  return session;
}

export function useHasScope(scope: string): boolean {
  return useSessionInfo().scopes.includes(scope);
}
