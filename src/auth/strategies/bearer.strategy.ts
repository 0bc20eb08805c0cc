import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { TokenService } from '../../oauth/token.service';
import { unauthorized } from '../../identity/identity.errors';
import { Principal } from '../../identity/principal';

/** `Authorization: Bearer <JWT>` → the client's principal (verified locally, no database). */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly tokens: TokenService) {
    super();
  }

  async validate(token: string): Promise<Principal> {
    const principal = await this.tokens.authenticate(token);
    if (!principal) throw unauthorized('The access token is invalid, expired or revoked.', true);
    return principal;
  }
}
