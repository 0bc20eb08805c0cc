import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { hash } from 'node:crypto';
import { DomainError } from '../errors/domain.error';
import { CommonErrorCode } from '../errors/error-codes';
import { unstorableText } from '../http/input-hygiene';
import { isUuid } from '../uuid';

export class PageQuery {
  /** Items per page (1-100). */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  /** Opaque cursor from a previous page's `nextCursor`. */
  @IsOptional()
  @IsString()
  @MaxLength(300)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Keyset position: the creation time (as PostgreSQL keeps it, to the microsecond: a millisecond `Date`
 * would skip rows created in the same millisecond) and id of the last item of the previous page.
 */
export interface CursorPosition {
  /** ISO 8601 UTC with microseconds, e.g. `2026-12-02T11:45:00.123456Z`. */
  createdAt: string;
  id: string;
}

const CURSOR_VERSION = 1;
const MICROSECOND_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function checksum(payload: string): string {
  return hash('sha256', `modelgate-cursor:${payload}`, 'base64url').slice(0, 12);
}

/**
 * An opaque cursor: the position's parts as base64url JSON and a checksum, so that a cursor changed by
 * hand (or cut short) is refused with a 400 rather than read as some other position.
 */
export function encodeCursor(parts: readonly string[]): string {
  const payload = Buffer.from(JSON.stringify([CURSOR_VERSION, ...parts])).toString('base64url');
  return `${payload}.${checksum(payload)}`;
}

/**
 * The parts of a cursor this API issued, each checked by `valid`; anything else (not ours, tampered,
 * a part of the wrong form) is a 400, before any of it reaches the database.
 */
export function decodeCursor(cursor: string, valid: ((part: string) => boolean)[]): string[] {
  const [payload, sum, ...rest] = cursor.split('.');
  try {
    if (rest.length > 0 || !payload || sum !== checksum(payload)) throw new Error('checksum');
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(decoded) || decoded[0] !== CURSOR_VERSION || decoded.length !== valid.length + 1) {
      throw new Error('shape');
    }
    const parts = decoded.slice(1) as unknown[];
    if (!parts.every((part, index) => typeof part === 'string' && !unstorableText(part) && valid[index](part))) {
      throw new Error('part');
    }
    return parts as string[];
  } catch {
    throw new DomainError(CommonErrorCode.ValidationFailed, 'The cursor is not one this API issued.', {
      errors: [{ field: 'cursor', message: 'invalid cursor' }],
    });
  }
}

export function isMicrosecondTime(value: string): boolean {
  return MICROSECOND_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

export function encodePosition(position: CursorPosition): string {
  return encodeCursor([position.createdAt, position.id]);
}

export function decodePosition(cursor: string | undefined): CursorPosition | undefined {
  if (!cursor) return undefined;
  const [createdAt, id] = decodeCursor(cursor, [isMicrosecondTime, isUuid]);
  return { createdAt, id };
}

/** Rows in keyset order, each with its exact position. */
export interface KeysetRows<E> {
  rows: E[];
  positions: CursorPosition[];
}

/** Builds a page from `limit + 1` rows fetched in keyset order. */
export function toPage<E, T>({ rows, positions }: KeysetRows<E>, limit: number, map: (row: E) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = positions[items.length - 1];
  return { items: items.map(map), nextCursor: rows.length > limit && last ? encodePosition(last) : null };
}
