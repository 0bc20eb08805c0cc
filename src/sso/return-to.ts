/** Where a sign-in lands when `returnTo` is absent or refused. */
export const DEFAULT_RETURN_TO = '/console';

const MAX_LENGTH = 2048;

/**
 * The path a sign-in may return to: a path of this origin only, else {@link DEFAULT_RETURN_TO}. Refused:
 * absolute URLs (`https://evil`), scheme-relative ones (`//evil`), backslashes that browsers read as
 * slashes (`/\evil`), whitespace and control characters (`/\t/evil`, which browsers read as `//evil`), and
 * any of these percent-encoded (once or more: a later redirect or router may decode them; an encoded space
 * inside a path is fine).
 */
export function safeReturnTo(value: unknown, origin: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return DEFAULT_RETURN_TO;
  if (/\s/.test(value)) return DEFAULT_RETURN_TO; // browsers drop tabs and newlines: `/\t/evil` is `//evil`
  let decoded = value;
  for (let round = 0; round < 5; round++) {
    if (!isSafePath(decoded)) return DEFAULT_RETURN_TO;
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return DEFAULT_RETURN_TO;
    }
    if (next === decoded) break;
    decoded = next;
  }
  if (decoded !== decodeOnce(decoded)) return DEFAULT_RETURN_TO; // still encoded after five rounds
  const resolved = new URL(value, origin);
  if (resolved.origin !== new URL(origin).origin) return DEFAULT_RETURN_TO;
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}

function isSafePath(path: string): boolean {
  // eslint-disable-next-line no-control-regex
  return path.startsWith('/') && !path.startsWith('//') && !/[\\\u0000-\u001f\u007f]/.test(path);
}

function decodeOnce(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}
