import { ErrorCode } from './error-codes';

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

/**
 * An expected failure with a stable code. Services throw it; the exception filter turns it into
 * problem details (`/v1`), an Open Inference Protocol error (`/v2`), or an OAuth error.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: DomainErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'DomainError';
  }
}
