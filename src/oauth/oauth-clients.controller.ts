import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes } from '../identity/access.decorators';
import { Principal } from '../identity/principal';
import { Scope } from '../identity/scopes';
import { Page, PageQuery } from '../common/pagination/pagination';
import {
  CreatedOAuthClientDto,
  CreateOAuthClientDto,
  OAuthClientDto,
  RotateClientSecretDto,
  UpdateOAuthClientDto,
} from './oauth-clients.dto';
import { OAuthClientsService } from './oauth-clients.service';

@ApiTags('admin: oauth clients')
@Scopes(Scope.ClientsManage)
@Controller({ path: 'admin/oauth-clients', version: '1' })
export class OAuthClientsController {
  constructor(private readonly clients: OAuthClientsService) {}

  /** Register a client. The plaintext `clientSecret` is in this response only. */
  @Post()
  createOAuthClient(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateOAuthClientDto,
  ): Promise<CreatedOAuthClientDto> {
    return this.clients.createOAuthClient(principal, dto);
  }

  @Get()
  listOAuthClients(@Query() query: PageQuery): Promise<Page<OAuthClientDto>> {
    return this.clients.listOAuthClients(query);
  }

  @Get(':clientId')
  @ApiNotFoundResponse()
  getOAuthClient(@Param('clientId') clientId: string): Promise<OAuthClientDto> {
    return this.clients.getOAuthClient(clientId);
  }

  /** Change the client; `{"disabled": true}` stops it and its tokens within seconds. */
  @Patch(':clientId')
  @ApiNotFoundResponse()
  updateOAuthClient(
    @CurrentPrincipal() principal: Principal,
    @Param('clientId') clientId: string,
    @Body() dto: UpdateOAuthClientDto,
  ): Promise<OAuthClientDto> {
    return this.clients.updateOAuthClient(principal, clientId, dto);
  }

  @Delete(':clientId')
  @HttpCode(204)
  @ApiNotFoundResponse()
  deleteOAuthClient(@CurrentPrincipal() principal: Principal, @Param('clientId') clientId: string): Promise<void> {
    return this.clients.deleteOAuthClient(principal, clientId);
  }

  /** New client secret (shown once); the old one works for `gracePeriodSeconds` (default 0). */
  @Post(':clientId/rotate-secret')
  @ApiNotFoundResponse()
  rotateClientSecret(
    @CurrentPrincipal() principal: Principal,
    @Param('clientId') clientId: string,
    @Body() dto?: RotateClientSecretDto,
  ): Promise<CreatedOAuthClientDto> {
    return this.clients.rotateClientSecret(principal, clientId, dto);
  }
}
