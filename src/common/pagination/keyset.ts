import { Brackets, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { CursorPosition } from './pagination';

/**
 * Fetches one page, newest first, of a query over an entity with `createdAt` and `id`: the rows
 * after `after` in (createdAt, id) order, `limit + 1` of them so the caller can tell whether more follow.
 */
export function newestFirstPage<E extends ObjectLiteral>(
  query: SelectQueryBuilder<E>,
  limit: number,
  after?: CursorPosition,
): Promise<E[]> {
  const alias = query.alias;
  query.orderBy(`${alias}.createdAt`, 'DESC').addOrderBy(`${alias}.id`, 'DESC');
  if (after) {
    query.andWhere(
      new Brackets((where) =>
        where
          .where(`${alias}.createdAt < :createdAt`, { createdAt: after.createdAt })
          .orWhere(`${alias}.createdAt = :createdAt AND ${alias}.id < :id`, {
            createdAt: after.createdAt,
            id: after.id,
          }),
      ),
    );
  }
  return query.take(limit + 1).getMany();
}
