import { IsOptional, IsString } from 'class-validator';

export class SsoLoginQuery {
  /** Where to go once signed in: a path of this server (anything else: `/console`). */
  @IsOptional()
  @IsString()
  returnTo?: string;
}
