import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, FieldError } from './domain.error';
import { CommonErrorCode } from './error-codes';

/** Global DTO validation; failures become a 400 problem with one entry per field in `errors`. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors: ValidationError[]) => {
      const fieldErrors = flatten(errors);
      const summary = fieldErrors.map((error) => `${error.field}: ${error.message}`).join('; ');
      return new DomainError(CommonErrorCode.ValidationFailed, `Request validation failed: ${summary}`, {
        errors: fieldErrors,
      });
    },
  });
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
