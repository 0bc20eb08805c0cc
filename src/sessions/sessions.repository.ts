import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { joined } from '../database/transaction';
import { SessionEntity } from './session.entity';

@Injectable()
export class SessionsRepository {
  constructor(@InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>) {}

  /** In the caller's transaction, if any (the session and its audit event commit together). */
  async insert(session: Partial<SessionEntity>): Promise<SessionEntity> {
    const repository = joined(this.sessions);
    return repository.save(repository.create(session));
  }

  /** The session whose cookie hashes to `tokenHash`, ended or expired ones included. */
  findByTokenHash(tokenHash: string): Promise<SessionEntity | null> {
    return this.sessions.findOne({ where: { tokenHash } });
  }

  /** Ends a session still running; whether it was (a second logout ends nothing). */
  async end(id: string, at: Date): Promise<boolean> {
    const result = await joined(this.sessions).update({ id, endedAt: IsNull() }, { endedAt: at });
    return (result.affected ?? 0) > 0;
  }

  /** Deletes sessions that expired or ended before `before` (kept a while for the audit trail's readers). */
  async deleteOlderThan(before: Date): Promise<void> {
    await this.sessions
      .createQueryBuilder()
      .delete()
      .where('expires_at < :before OR ended_at < :before', { before })
      .execute();
  }
}
