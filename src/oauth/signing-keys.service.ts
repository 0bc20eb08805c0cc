import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, JWK, KeyObject } from 'jose';
import { DataSource, IsNull, MoreThan, Repository } from 'typeorm';
import { ChangeFeedService } from '../change-feed/change-feed.service';
import { AdvisoryLock, withAdvisoryLock } from '../database/advisory-lock';
import { SigningKeyEntity } from './signing-key.entity';

export const SIGNING_ALG = 'ES256';
/** A retired key stays published this long: longer than any token it signed can live. */
const RETIRED_KEY_VISIBILITY_MS = 2 * 86_400_000;

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  verifyKey: KeyObject | Uint8Array;
  retiredAt: Date | null;
}

/**
 * Signing keys in PostgreSQL: one is created on first start; rotation adds a new key and retires the
 * old one, which stays in the JWKS (and keeps verifying) until the tokens it signed have expired.
 */
@Injectable()
export class SigningKeysService implements OnApplicationBootstrap {
  private keys: LoadedKey[] = [];
  private signer?: { kid: string; key: KeyObject | Uint8Array };

  constructor(
    @InjectRepository(SigningKeyEntity) private readonly repository: Repository<SigningKeyEntity>,
    private readonly dataSource: DataSource,
    private readonly events: ChangeFeedService,
  ) {
    events.onChange((kind) => {
      if (kind === 'signing_key') void this.load();
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await withAdvisoryLock(this.dataSource, AdvisoryLock.SigningKeyCreation, async () => {
      const active = await this.repository.count({ where: { retiredAt: IsNull() } });
      if (active === 0) await this.repository.save(await this.newKey());
    });
    await this.load();
  }

  /** The key new tokens are signed with. */
  currentSigner(): { kid: string; key: KeyObject | Uint8Array } {
    if (!this.signer) throw new Error('No signing key loaded');
    return this.signer;
  }

  /** Verification key for a token's `kid`; undefined for unknown or no longer published keys. */
  verificationKey(kid: string | undefined): KeyObject | Uint8Array | undefined {
    return this.keys.find((key) => key.kid === kid)?.verifyKey;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((key) => ({ ...key.publicJwk, kid: key.kid, alg: SIGNING_ALG, use: 'sig' })) };
  }

  /** Adds a new signing key and retires the current one (it keeps verifying its tokens). */
  async rotate(): Promise<string> {
    const fresh = await this.newKey();
    await this.dataSource.transaction(async (manager) => {
      await manager.update(SigningKeyEntity, { retiredAt: IsNull() }, { retiredAt: new Date() });
      await manager.save(fresh);
    });
    await this.load();
    await this.events.publish('signing_key', fresh.kid);
    return fresh.kid;
  }

  private async newKey(): Promise<SigningKeyEntity> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    return this.repository.create({
      kid: randomUUID(),
      alg: SIGNING_ALG,
      publicJwk: await exportJWK(publicKey),
      privateJwk: await exportJWK(privateKey),
      retiredAt: null,
    });
  }

  private async load(): Promise<void> {
    const visibleSince = new Date(Date.now() - RETIRED_KEY_VISIBILITY_MS);
    const rows = await this.repository.find({
      select: { kid: true, alg: true, publicJwk: true, privateJwk: true, createdAt: true, retiredAt: true },
      where: [{ retiredAt: IsNull() }, { retiredAt: MoreThan(visibleSince) }],
      order: { createdAt: 'DESC' },
    });
    this.keys = await Promise.all(
      rows.map(async (row) => ({
        kid: row.kid,
        publicJwk: row.publicJwk,
        verifyKey: await importJWK(row.publicJwk, SIGNING_ALG),
        retiredAt: row.retiredAt,
      })),
    );
    const newest = rows.find((row) => row.retiredAt === null);
    if (newest) this.signer = { kid: newest.kid, key: await importJWK(newest.privateJwk, SIGNING_ALG) };
  }
}
