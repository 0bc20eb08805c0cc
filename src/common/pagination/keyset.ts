import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { CursorPosition, KeysetRows } from './pagination';

/** `created_at` as text to the microsecond, UTC: what a cursor keeps (see CursorPosition). */
const EXACT_TIME = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Fetches one page, newest first, of a query over an entity with `createdAt` (column `created_at`)
 * and a uuid `id`: the rows after `after` in (created_at, id) order, compared to the microsecond, `limit
 * + 1` of them so the caller can tell whether more follow. No row is skipped or repeated from one page
 * to the next, however many share a millisecond, and rows inserted meanwhile land before the cursor.
 */
export async function newestFirstPage<E extends ObjectLiteral>(
  query: SelectQueryBuilder<E>,
  limit: number,
  after?: CursorPosition,
): Promise<KeysetRows<E>> {
  const alias = query.alias;
  query
    .addSelect(EXACT_TIME(`${alias}.created_at`), 'cursor_created_at')
    .orderBy(`${alias}.createdAt`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC');
  if (after) {
    query.andWhere(`(${alias}.created_at, ${alias}.id) < (:createdAt::timestamptz, :id::uuid)`, {
      createdAt: after.createdAt,
      id: after.id,
    });
  }
  const { entities, raw } = await query.limit(limit + 1).getRawAndEntities<{ cursor_created_at: string }>();
  return {
    rows: entities,
    positions: entities.map((entity, index) => ({ createdAt: raw[index].cursor_created_at, id: String(entity.id) })),
  };
}
