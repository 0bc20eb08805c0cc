import type { NormalizedError } from './normalize-error';

/** What an error response carries besides the error: the request id and, when a route served it, its path. */
export interface ErrorContext {
  requestId: string;
  /** The request's path when a route served it; undefined for errors raised before routing. */
  instance?: string;
}

export interface RenderedError {
  status: number;
  /** Content-Type and any format-specific headers; Retry-After and challenges are added by the caller. */
  headers: Record<string, string>;
  body: unknown;
}

/**
 * How one surface answers errors (docs/API.md, "Surfaces at a glance"): problem details by default, the Open
 * Inference Protocol's `{error}` on `/v2`, RFC 6749 on `/oauth`, Terminus's body on `/health`. Each
 * protocol module registers its own; the error handler, the HTTP parser's error handler and the OpenAPI
 * document ask here which one a path speaks.
 */
export interface ErrorFormat {
  name: string;
  /** Path prefixes answered in this format: the prefix itself and everything below it. */
  prefixes: string[];
  render(error: NormalizedError, context: ErrorContext, original?: unknown): RenderedError;
  /** The OpenAPI description of its error responses: their content, and the component schemas it refers to. */
  openApi: { content: Record<string, unknown>; schemas: Record<string, unknown> };
}

const formats: ErrorFormat[] = [];
let fallback: ErrorFormat | undefined;

/** Registers a surface's error format (the first registered without prefixes is the default). */
export function registerErrorFormat(format: ErrorFormat): void {
  if (format.prefixes.length === 0) fallback ??= format;
  else if (!formats.some((known) => known.name === format.name)) formats.push(format);
}

/** The format a path's errors are answered in. */
export function errorFormatOf(url: string): ErrorFormat {
  const path = url.split('?', 1)[0];
  for (const format of formats) {
    if (
      format.prefixes.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`))
    )
      return format;
  }
  return fallback!;
}
