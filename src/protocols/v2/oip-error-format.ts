import type { ErrorFormat } from '../../common/errors/error-format';

/** `/v2` (the Open Inference Protocol) answers errors as `{"error": "<message>"}`. */
export const OIP_ERROR_FORMAT: ErrorFormat = {
  name: 'oip',
  prefixes: ['/v2'],
  render: (error) => ({
    status: error.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: { error: error.detail },
  }),
  openApi: {
    content: { 'application/json': { schema: { $ref: '#/components/schemas/OipError' } } },
    schemas: {
      OipError: {
        type: 'object',
        description: 'An Open Inference Protocol error (`/v2`).',
        required: ['error'],
        properties: { error: { type: 'string' } },
        additionalProperties: false,
      },
    },
  },
};
