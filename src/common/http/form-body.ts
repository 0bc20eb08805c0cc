import type { FastifyBodyParser } from 'fastify';
import { DomainError } from '../errors/domain.error';
import { CommonErrorCode } from '../errors/error-codes';
import { assertCleanBody } from './input-hygiene';

/** A form body: each field's value, or its values when the field is repeated. */
export type FormFields = Record<string, string | string[]>;

/**
 * The `application/x-www-form-urlencoded` body parser (the OAuth endpoints' bodies): WHATWG form
 * decoding (URLSearchParams: `+` is a space, bad percent-escapes are kept as text), repeated fields as
 * arrays, `__proto__` refused as a JSON body's would be, and every name and value checked for what
 * PostgreSQL cannot store (input-hygiene.ts).
 */
export function formBodyParser(): FastifyBodyParser<Buffer> {
  return (_request, body, done) => {
    const fields: FormFields = {};
    try {
      for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
        if (name === '__proto__')
          throw new DomainError(CommonErrorCode.BadRequest, 'The form has a forbidden field name.');
        const previous = fields[name];
        fields[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
      }
      assertCleanBody(fields);
    } catch (error) {
      return done(error as Error, undefined);
    }
    done(null, fields);
  };
}
