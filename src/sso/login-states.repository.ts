import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { LoginStateEntity } from './login-state.entity';

@Injectable()
export class LoginStatesRepository {
  constructor(@InjectRepository(LoginStateEntity) private readonly states: Repository<LoginStateEntity>) {}

  /** Stores a sign-in under way (and clears the ones that expired unused). */
  async insert(state: Omit<LoginStateEntity, 'createdAt'>): Promise<void> {
    await this.states.delete({ expiresAt: LessThan(new Date()) });
    await this.states.insert(state);
  }

  /**
   * Takes the sign-in of a state: returns and deletes it in one statement, so that of two callbacks with
   * the same state (a replay, a double click) at most one gets it, whatever the instances.
   */
  async take(stateHash: string): Promise<LoginStateEntity | undefined> {
    type Row = Pick<LoginStateEntity, 'browserHash' | 'encryptedVerifier' | 'nonce' | 'returnTo'> & {
      expiresAt: Date | string;
    };
    const result: unknown = await this.states.query(
      `DELETE FROM sso_login_states WHERE state_hash = $1
       RETURNING browser_hash AS "browserHash", encrypted_verifier AS "encryptedVerifier", nonce,
                 return_to AS "returnTo", expires_at AS "expiresAt"`,
      [stateHash],
    );
    // The PostgreSQL driver answers a DELETE with [rows, affected].
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as Row[];
    const row = rows[0];
    if (!row) return undefined;
    return { ...row, stateHash, createdAt: new Date(0), expiresAt: new Date(row.expiresAt) };
  }
}
