import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';

/** A CLI mistake: printed as is, exit status 2. */
export class CliUsageError extends Error {}

/** Validates CLI input with the DTO the admin API uses, so the CLI accepts exactly what the API accepts. */
export async function validated<T extends object>(type: new () => T, input: Record<string, unknown>): Promise<T> {
  const dto = plainToInstance(type, input);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const messages = errors.flatMap((error) => [
      ...Object.values(error.constraints ?? {}),
      ...(error.children ?? []).flatMap((child) => Object.values(child.constraints ?? {})),
    ]);
    throw new CliUsageError(messages.join('; ') || 'invalid input');
  }
  return dto;
}

export function list(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
}

export function integer(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliUsageError(`--${option} must be a whole number`);
  return Number(value);
}

/** Rows as aligned columns, for people; `--json` prints the objects instead. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (value: unknown) =>
    value === null || value === undefined
      ? '-'
      : Array.isArray(value)
        ? value.join(',')
        : typeof value === 'string'
          ? value
          : typeof value === 'number' || typeof value === 'boolean'
            ? String(value)
            : JSON.stringify(value);
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((row) => row[index].length)));
  const line = (values: string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index]))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n') + '\n';
}
