import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ArrayContains, IsNull, Repository } from 'typeorm';
import { Scope } from '../identity/scopes';
import { newestFirstPage } from '../common/pagination/keyset';
import { CursorPosition, KeysetRows } from '../common/pagination/pagination';
import { joined } from '../database/transaction';
import { ApiKeyEntity } from './api-key.entity';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  async insert(key: Partial<ApiKeyEntity>): Promise<ApiKeyEntity> {
    const keys = joined(this.keys);
    return keys.save(keys.create(key));
  }

  findById(id: string): Promise<ApiKeyEntity | null> {
    return joined(this.keys).findOne({ where: { id } });
  }

  /** The key with its secret hashes, for verification only. */
  findForVerification(publicId: string): Promise<ApiKeyEntity | null> {
    return joined(this.keys)
      .createQueryBuilder('key')
      .addSelect(['key.secretHash', 'key.previousSecretHash'])
      .where('key.publicId = :publicId', { publicId })
      .getOne();
  }

  /** Keyset page ordered by creation time, newest first. */
  list(limit: number, after?: CursorPosition): Promise<KeysetRows<ApiKeyEntity>> {
    return newestFirstPage(this.keys.createQueryBuilder('key'), limit, after);
  }

  async update(id: string, changes: Partial<ApiKeyEntity>): Promise<void> {
    await joined(this.keys).update({ id }, changes);
  }

  async touchLastUsed(id: string, at: Date): Promise<void> {
    await this.keys.update({ id }, { lastUsedAt: at });
  }

  /** Whether an unrevoked key that can manage keys exists (expired ones count as absent). */
  async hasActiveAdmin(): Promise<boolean> {
    const count = await this.keys
      .createQueryBuilder('key')
      .where({ revokedAt: IsNull(), scopes: ArrayContains([Scope.KeysManage]) })
      .andWhere('(key.expiresAt IS NULL OR key.expiresAt > now())')
      .getCount();
    return count > 0;
  }
}
