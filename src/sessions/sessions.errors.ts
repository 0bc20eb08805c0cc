import { registerErrorStatuses } from '../common/errors/domain.error';

export enum SessionErrorCode {
  /** A state-changing request authenticated by the session cookie without the session's X-CSRF-Token. */
  CsrfFailed = 'csrf_failed',
}

registerErrorStatuses({
  [SessionErrorCode.CsrfFailed]: 403,
} satisfies Record<SessionErrorCode, number>);
