import { joined } from '../database/transaction';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ArrayContains, IsNull, Repository } from 'typeorm';
import { Scope } from '../identity/scopes';
import { newestFirstPage } from '../common/pagination/keyset';
import { CursorPosition, KeysetRows } from '../common/pagination/pagination';
import { OAuthClientEntity } from './oauth-client.entity';
import { RevokedTokenEntity } from './revoked-token.entity';

@Injectable()
export class OAuthClientsRepository {
  constructor(
    @InjectRepository(OAuthClientEntity) private readonly clients: Repository<OAuthClientEntity>,
    @InjectRepository(RevokedTokenEntity) private readonly revoked: Repository<RevokedTokenEntity>,
  ) {}

  insert(client: Partial<OAuthClientEntity>): Promise<OAuthClientEntity> {
    const clients = joined(this.clients);
    return clients.save(clients.create(client));
  }

  /** A client that has not been deleted. */
  findByClientId(clientId: string): Promise<OAuthClientEntity | null> {
    return joined(this.clients).findOne({ where: { clientId, deletedAt: IsNull() } });
  }

  findForAuthentication(clientId: string): Promise<OAuthClientEntity | null> {
    return this.clients
      .createQueryBuilder('client')
      .addSelect(['client.secretHash', 'client.previousSecretHash'])
      .where('client.clientId = :clientId AND client.deletedAt IS NULL', { clientId })
      .getOne();
  }

  list(limit: number, after?: CursorPosition): Promise<KeysetRows<OAuthClientEntity>> {
    return newestFirstPage(this.clients.createQueryBuilder('client').where('client.deletedAt IS NULL'), limit, after);
  }

  async update(clientId: string, changes: Partial<OAuthClientEntity>): Promise<void> {
    await joined(this.clients).update({ clientId }, changes);
  }

  async hasActiveAdmin(): Promise<boolean> {
    const count = await this.clients.count({
      where: { deletedAt: IsNull(), disabledAt: IsNull(), scopes: ArrayContains([Scope.ClientsManage]) },
    });
    return count > 0;
  }

  async revokeToken(jti: string, clientId: string, expiresAt: Date): Promise<void> {
    await this.revoked.createQueryBuilder().insert().values({ jti, clientId, expiresAt }).orIgnore().execute();
  }

  async unexpiredRevocations(): Promise<string[]> {
    const rows = await this.revoked
      .createQueryBuilder('token')
      .select('token.jti', 'jti')
      .where('token.expiresAt > now()')
      .getRawMany<{ jti: string }>();
    return rows.map((row) => row.jti);
  }

  async deleteExpiredRevocations(): Promise<void> {
    await this.revoked.createQueryBuilder().delete().where('expires_at < now()').execute();
  }
}
