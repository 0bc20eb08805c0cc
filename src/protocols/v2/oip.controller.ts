import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Public, Scopes } from '../../identity/access.decorators';
import { Principal } from '../../identity/principal';
import { Scope } from '../../identity/scopes';
import { OipModelMetadataDto } from './oip.dto';
import { OipService } from './oip.service';

/**
 * The Open Inference Protocol (KServe V2) REST API, path for path (inference itself is served by
 * inference.routes.ts). Readiness answers 200 for true and a 4xx for false, as the protocol specifies.
 */
@ApiTags('open inference protocol (v2)')
@Controller({ version: '2' })
export class OipController {
  constructor(private readonly oip: OipService) {}

  @Public()
  @Get()
  getServerMetadata(): { name: string; version: string; extensions: string[] } {
    return this.oip.serverMetadata();
  }

  @Public()
  @Get('health/live')
  getServerLive(): { live: boolean } {
    return { live: true };
  }

  @Public()
  @Get('health/ready')
  getServerReady(@Res({ passthrough: true }) reply: FastifyReply): { ready: boolean } {
    const ready = this.oip.serverReady;
    if (!ready) void reply.status(400);
    return { ready };
  }

  @Scopes(Scope.ModelsRead)
  @Get('models/:name')
  getModelMetadata(@CurrentPrincipal() principal: Principal, @Param('name') name: string): OipModelMetadataDto {
    return this.oip.modelMetadata(principal, name);
  }

  @Scopes(Scope.ModelsRead)
  @Get('models/:name/versions/:version')
  getModelVersionMetadata(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
  ): OipModelMetadataDto {
    return this.oip.modelMetadata(principal, name, version);
  }

  @Scopes(Scope.ModelsRead)
  @Get('models/:name/ready')
  getModelReady(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = this.oip.modelReady(principal, name);
    if (!result.ready) void reply.status(400);
    return result;
  }

  @Scopes(Scope.ModelsRead)
  @Get('models/:name/versions/:version/ready')
  getModelVersionReady(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = this.oip.modelReady(principal, name, version);
    if (!result.ready) void reply.status(400);
    return result;
  }
}
