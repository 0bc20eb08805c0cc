import type { ErrorFormat } from '../common/errors/error-format';
import type { NormalizedError } from '../common/errors/normalize-error';
import { OAuthErrorCode } from './oauth.errors';

const OAUTH_CODES = new Set<string>(Object.values(OAuthErrorCode));

/**
 * RFC 6749 §5.2 body. OAuth services raise errors with the RFC's code; anything else (an
 * authentication or validation failure on /oauth/introspect, say) is mapped to the nearest one.
 */
function oauthBody(error: NormalizedError): { error: string; error_description?: string } {
  let rfcCode: string = error.code;
  if (!OAUTH_CODES.has(rfcCode)) {
    rfcCode =
      error.status === 503
        ? 'temporarily_unavailable'
        : error.status >= 500
          ? 'server_error'
          : error.status === 401
            ? 'invalid_client'
            : error.status === 403
              ? 'insufficient_scope'
              : 'invalid_request';
  }
  return { error: rfcCode, error_description: error.detail };
}

/** `/oauth/*` answers errors per RFC 6749 §5.2, never cached. */
export const OAUTH_ERROR_FORMAT: ErrorFormat = {
  name: 'oauth',
  prefixes: ['/oauth/'],
  render: (error) => ({
    status: error.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: oauthBody(error),
  }),
  openApi: {
    content: { 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } },
    schemas: {
      OAuthError: {
        type: 'object',
        description: 'An RFC 6749 §5.2 error (`/oauth`).',
        required: ['error'],
        properties: {
          error: {
            type: 'string',
            enum: [...OAUTH_CODES, 'insufficient_scope', 'server_error'],
          },
          error_description: { type: 'string' },
        },
      },
    },
  },
};
