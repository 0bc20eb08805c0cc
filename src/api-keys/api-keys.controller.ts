import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes } from '../identity/access.decorators';
import { Principal } from '../identity/principal';
import { Scope } from '../identity/scopes';
import { Page, PageQuery } from '../common/pagination/pagination';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, RotateApiKeyDto, UpdateApiKeyDto } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';

@ApiTags('admin: api keys')
@Scopes(Scope.KeysManage)
@Controller({ path: 'admin/api-keys', version: '1' })
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** Issue an API key. The plaintext `key` is in this response only. */
  @Post()
  createApiKey(@CurrentPrincipal() principal: Principal, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.apiKeys.createApiKey(principal, dto);
  }

  /** List API keys, newest first. */
  @Get()
  listApiKeys(@Query() query: PageQuery): Promise<Page<ApiKeyDto>> {
    return this.apiKeys.listApiKeys(query);
  }

  @Get(':id')
  @ApiNotFoundResponse()
  getApiKey(@Param('id') id: string): Promise<ApiKeyDto> {
    return this.apiKeys.getApiKey(id);
  }

  /** Change name, scopes, models, expiry, rate limit or quota; `null` clears the optional ones. */
  @Patch(':id')
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The key is revoked.' })
  updateApiKey(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateApiKeyDto,
  ): Promise<ApiKeyDto> {
    return this.apiKeys.updateApiKey(principal, id, dto);
  }

  /** Revoke the key: it stops working on every instance within seconds. */
  @Delete(':id')
  @HttpCode(204)
  @ApiNotFoundResponse()
  revokeApiKey(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    return this.apiKeys.revokeApiKey(principal, id);
  }

  /** Issue a new secret for the key; the old one keeps working for `gracePeriodSeconds`. */
  @Post(':id/rotate')
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The key is revoked.' })
  rotateApiKey(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto?: RotateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    return this.apiKeys.rotateApiKey(principal, id, dto);
  }
}
