/**
 * The console's calls to the platform: same-origin, with the session cookie. Every state-changing request
 * carries X-CSRF-Token (the session's csrfToken, docs/API.md "Admin sign-in (SSO) and the console").
 * Errors are RFC 9457 problem details; {@link ApiError} carries their title, detail and field errors.
 */

export interface SessionInfo {
  user: { id: string; name: string; email: string };
  scopes: string[];
  csrfToken: string;
  expiresAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly code: string | undefined,
    readonly fieldErrors: string[] = [],
  ) {
    super(detail ?? title);
  }
}

/** Raised (and handled by the app shell) when the session has ended: the user must sign in again. */
export class SignedOutError extends Error {}

let csrfToken: string | undefined;
let onSignedOut: () => void = () => undefined;

export function startSession(session: SessionInfo, signedOut: () => void): void {
  csrfToken = session.csrfToken;
  onSignedOut = signedOut;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function csrfHeaders(method: string): Record<string, string> {
  return STATE_CHANGING.has(method.toUpperCase()) && csrfToken ? { 'X-CSRF-Token': csrfToken } : {};
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: { title?: string; detail?: string; code?: string; errors?: unknown[]; error?: string } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON: the status line says enough
  }
  const fields = (body.errors ?? []).map((error) =>
    typeof error === 'string' ? error : JSON.stringify(error).replace(/[{}"]/g, '').replace(/,/g, ', '),
  );
  return new ApiError(
    response.status,
    body.title ?? response.statusText ?? `HTTP ${response.status}`,
    body.detail ?? body.error,
    body.code,
    fields,
  );
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...csrfHeaders(method) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    onSignedOut();
    throw new SignedOutError('Your session has ended.');
  }
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body),
  delete: (path: string) => request<void>('DELETE', path),
};

/** `GET /auth/session`: the signed-in user, or null without a session. */
export async function fetchSession(): Promise<SessionInfo | null> {
  const response = await fetch('/auth/session', {
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  });
  if (response.status === 401) return null;
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as SessionInfo;
}

export async function signOut(): Promise<void> {
  const response = await fetch('/auth/logout', {
    method: 'POST',
    credentials: 'same-origin',
    headers: csrfHeaders('POST'),
  });
  if (!response.ok && response.status !== 401) throw await errorOf(response);
}

export function signInUrl(returnTo = window.location.pathname + window.location.search): string {
  return `/auth/sso/login?returnTo=${encodeURIComponent(returnTo)}`;
}

/** A query string of the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Uploads raw bytes with XMLHttpRequest (fetch reports no upload progress), reporting the share sent.
 */
export function uploadWithProgress<T>(
  method: string,
  path: string,
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(csrfHeaders(method))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, 'Network error', 'The upload did not reach the server.', undefined));
    xhr.onabort = () => reject(new ApiError(0, 'Cancelled', 'The upload was cancelled.', undefined));
    xhr.onload = () => {
      if (xhr.status === 401) {
        onSignedOut();
        reject(new SignedOutError('Your session has ended.'));
        return;
      }
      const response = new Response(xhr.responseText || null, { status: xhr.status, statusText: xhr.statusText });
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(xhr.responseText ? (JSON.parse(xhr.responseText) as T) : (undefined as T));
      } else {
        errorOf(response).then(reject, reject);
      }
    };
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const detail = error.detail && error.detail !== error.title ? `: ${error.detail}` : '';
    const fields = error.fieldErrors.length > 0 ? ` (${error.fieldErrors.join('; ')})` : '';
    return `${error.title}${detail}${fields}`;
  }
  return error instanceof Error ? error.message : String(error);
}
