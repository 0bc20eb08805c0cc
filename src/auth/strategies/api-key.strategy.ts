import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { ApiKeyAuthenticator } from '../../api-keys/api-key-authenticator';
import { unauthorized } from '../../identity/identity.errors';
import { Principal } from '../../identity/principal';

const REJECTIONS = {
  malformed: 'The API key is malformed.',
  unknown: 'The API key is not valid.',
  revoked: 'The API key has been revoked.',
  expired: 'The API key has expired.',
} as const;

/** `X-API-Key: mg_live_...` → the key's principal (from the in-memory key cache). */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, 'api-key') {
  constructor(private readonly authenticator: ApiKeyAuthenticator) {
    super({ header: 'X-API-Key', prefix: '' }, false);
  }

  async validate(apiKey: string): Promise<Principal> {
    const result = await this.authenticator.authenticate(apiKey);
    if (typeof result === 'string') throw unauthorized(REJECTIONS[result], true);
    return result;
  }
}
