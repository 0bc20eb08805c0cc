import { Body, Controller, Delete, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiConsumes, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes } from '../../identity/access.decorators';
import { Principal } from '../../identity/principal';
import { Scope } from '../../identity/scopes';
import { ModelAdminService } from '../model-admin.service';
import { ModelVersionDto } from './models.dto';

@ApiTags('admin: models')
@Scopes(Scope.ModelsManage)
@Controller({ path: 'admin/models', version: '1' })
export class ModelAdminController {
  constructor(private readonly admin: ModelAdminService) {}

  /** Upload a new version as raw ONNX bytes; it is loaded before it is published. */
  @Put(':name/versions/:version')
  @HttpCode(201)
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiConflictResponse({ description: 'The version exists (versions are immutable).' })
  uploadModelVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
  ): Promise<ModelVersionDto> {
    return this.admin.uploadModelVersion(principal, name, version, body);
  }

  @Post(':name/versions/:version/load')
  @HttpCode(200)
  @ApiNotFoundResponse()
  loadModelVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
  ): Promise<ModelVersionDto> {
    return this.admin.loadModelVersion(principal, name, version);
  }

  /** Stop serving a version (after its in-flight requests) on every instance; the file stays. */
  @Post(':name/versions/:version/unload')
  @HttpCode(200)
  @ApiNotFoundResponse()
  unloadModelVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
  ): Promise<ModelVersionDto> {
    return this.admin.unloadModelVersion(principal, name, version);
  }

  /** Delete a version on every instance; not while other versions remain and an alias, split or shadow names it. */
  @Delete(':name/versions/:version')
  @HttpCode(204)
  @ApiNotFoundResponse()
  @ApiConflictResponse({
    description:
      'The model has other versions and an alias, a traffic split or the shadow names this one (`version_in_use`; the detail says which): point them at another version first. Also when config.json is not valid.',
  })
  deleteModelVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
  ): Promise<void> {
    return this.admin.deleteModelVersion(principal, name, version);
  }
}
