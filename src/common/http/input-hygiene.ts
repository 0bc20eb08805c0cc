import { DomainError } from '../errors/domain.error';
import { CommonErrorCode } from '../errors/error-codes';

/** JSON bodies may nest at most this deep (docs/API.md, "Every response, every surface"). */
export const MAX_JSON_DEPTH = 64;

declare global {
  interface String {
    /** ES2024; in V8 since Node 20. */
    isWellFormed(): boolean;
  }
}

/**
 * Why PostgreSQL could not store a text, if it could not: `text` columns take no NUL byte, and an
 * unpaired UTF-16 surrogate has no UTF-8 form. Both are refused at the edge, whatever surface they came in on.
 */
export function unstorableText(value: string): 'a NUL byte' | 'an unpaired surrogate' | undefined {
  if (value.includes('\0')) return 'a NUL byte';
  if (!value.isWellFormed()) return 'an unpaired surrogate';
  return undefined;
}

export function invalidText(where: string, problem: string): DomainError {
  return new DomainError(CommonErrorCode.InvalidCharacters, `${where} contains ${problem}, which is not allowed.`);
}

export function tooDeep(): DomainError {
  return new DomainError(
    CommonErrorCode.InvalidJson,
    `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels, which is not allowed.`,
  );
}

/**
 * Checks a parsed body (JSON or form) without recursion: every key and string must be storable, and
 * nothing may nest deeper than MAX_JSON_DEPTH. Throws the 400 to answer.
 */
export function assertCleanBody(body: unknown): void {
  if (typeof body === 'string') return assertCleanString(body, 'The body');
  if (typeof body !== 'object' || body === null || Buffer.isBuffer(body)) return;
  const stack: [unknown, number][] = [[body, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_JSON_DEPTH) throw tooDeep();
    const items = Array.isArray(node) ? node : Object.entries(node as Record<string, unknown>);
    for (const item of items) {
      let value: unknown = item;
      if (!Array.isArray(node)) {
        const [key, entry] = item as [string, unknown];
        assertCleanString(key, 'A field name');
        value = entry;
      }
      if (typeof value === 'string') assertCleanString(value, 'A string in the body');
      else if (typeof value === 'object' && value !== null) stack.push([value, depth + 1]);
    }
  }
}

function assertCleanString(value: string, where: string): void {
  const problem = unstorableText(value);
  if (problem) throw invalidText(where, problem);
}

/**
 * The deepest nesting of a JSON text, counted over its bytes (strings skipped), stopping as soon as it
 * passes `limit`: lets a body be refused before any parser recurses into it.
 */
export function jsonDepthExceeds(bytes: Buffer, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index++) {
    const code = bytes[index];
    if (inString) {
      if (code === 0x5c)
        index++; // skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * A raw request target (path and query, still percent-encoded) that would decode to a NUL byte, or
 * holds one: refused before routing, so that no route, query parser or database sees it.
 */
export function urlHasNul(url: string): boolean {
  return url.includes('\0') || /%00/i.test(url);
}
