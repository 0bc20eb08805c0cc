import { HttpException } from '@nestjs/common';
import type { ErrorFormat } from '../common/errors/error-format';
import { PROBLEM_DETAILS_FORMAT } from '../common/errors/problem-details';

/**
 * `/health/*`: Terminus answers "not ready" with its own JSON body (an HttpException's response), which
 * is kept; any other error is problem details.
 */
export const HEALTH_ERROR_FORMAT: ErrorFormat = {
  name: 'health',
  prefixes: ['/health/'],
  render: (error, context, original) =>
    original instanceof HttpException && typeof original.getResponse() === 'object'
      ? {
          status: error.status,
          headers: { 'Content-Type': 'application/json; charset=utf-8' },
          body: original.getResponse(),
        }
      : PROBLEM_DETAILS_FORMAT.render(error, context),
  openApi: PROBLEM_DETAILS_FORMAT.openApi,
};
