/**
 * A stable, machine-readable error code (`code` in problem details): a value of one module's error
 * enum (CommonErrorCode, ModelErrorCode, OAuthErrorCode, ...).
 */
export type ErrorCode = string;

/** One field-level validation failure, listed in the problem's `errors`. */
export interface FieldError {
  /** JSON pointer or dotted path of the offending field, e.g. `inputs.input`. */
  field: string;
  message: string;
}

export interface DomainErrorOptions {
  errors?: FieldError[];
  /** Seconds for a `Retry-After` header (503, 429). */
  retryAfterSeconds?: number;
  /** Extra response headers, e.g. `WWW-Authenticate`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

const STATUSES = new Map<ErrorCode, number>();

/**
 * Each module registers the HTTP status of every one of its error codes, as a `Record` over its enum:
 * a code added without a status does not compile. Called where the enum is declared, so that a code is
 * registered whenever it can be used.
 */
export function registerErrorStatuses(statuses: Record<ErrorCode, number>): void {
  for (const [code, status] of Object.entries(statuses)) STATUSES.set(code, status);
}

/** The registered status of a code; undefined for a code no module registered. */
export function statusOfCode(code: ErrorCode): number | undefined {
  return STATUSES.get(code);
}

/**
 * An expected failure with a stable code. Services throw it, whatever protocol called them; each
 * protocol renders it in its own format (problem details on `/v1`, `{ error }` on `/v2`, RFC 6749 on
 * `/oauth`, a gRPC status), from the code's registered HTTP status.
 */
export class DomainError extends Error {
  /** The HTTP status of the code (500 for a code no module registered: a bug). */
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: DomainErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'DomainError';
    this.status = STATUSES.get(code) ?? 500;
  }
}
