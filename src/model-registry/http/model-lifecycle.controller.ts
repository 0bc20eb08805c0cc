import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Put, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes } from '../../identity/access.decorators';
import { Principal } from '../../identity/principal';
import { Scope } from '../../identity/scopes';
import { ModelLifecycleService } from '../model-lifecycle.service';
import { ShadowReportService } from '../shadow-report.service';
import {
  SetAliasDto,
  SetShadowDto,
  ShadowDto,
  ShadowReportDto,
  ShadowReportQueryDto,
  UpdateModelVersionDto,
} from './lifecycle.dto';
import { ModelSummaryDto, ModelVersionDto } from './models.dto';

/** Traffic splits, shadow traffic and deprecation: the model lifecycle, kept in each model's config.json. */
@ApiTags('admin: models')
@Scopes(Scope.ModelsManage)
@Controller({ path: 'admin/models', version: '1' })
export class ModelLifecycleController {
  constructor(
    private readonly lifecycle: ModelLifecycleService,
    private readonly shadowReports: ShadowReportService,
  ) {}

  /** Point an alias at a version (`{"version"}`) or split its traffic by weight (`{"versions"}`). */
  @Put(':name/aliases/:alias')
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: "The model's config.json is not valid." })
  setModelAlias(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('alias') alias: string,
    @Body() body: SetAliasDto,
  ): Promise<ModelSummaryDto> {
    return this.lifecycle.setModelAlias(principal, name, alias, body);
  }

  /** Set a version's deprecation and sunset times (null removes one). */
  @Patch(':name/versions/:version')
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: "The model's config.json is not valid." })
  updateModelVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: UpdateModelVersionDto,
  ): Promise<ModelVersionDto> {
    return this.lifecycle.updateModelVersion(principal, name, version, body);
  }

  @Get(':name/shadow')
  @ApiNotFoundResponse({ description: 'No such model, or it has no shadow version.' })
  getModelShadow(@CurrentPrincipal() principal: Principal, @Param('name') name: string): ShadowDto {
    return this.lifecycle.getModelShadow(principal, name);
  }

  /** Mirror a share of the model's default-routed requests to a version, after the callers are answered. */
  @Put(':name/shadow')
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: "The model's config.json is not valid." })
  setModelShadow(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Body() body: SetShadowDto,
  ): Promise<ShadowDto> {
    return this.lifecycle.setModelShadow(principal, name, body);
  }

  @Delete(':name/shadow')
  @HttpCode(204)
  @ApiNotFoundResponse({ description: 'No such model, or it has no shadow version.' })
  @ApiConflictResponse({ description: "The model's config.json is not valid." })
  deleteModelShadow(@CurrentPrincipal() principal: Principal, @Param('name') name: string): Promise<void> {
    return this.lifecycle.deleteModelShadow(principal, name);
  }

  /** How the shadow version compared with the version that answered, over a time range (every instance's runs). */
  @Get(':name/shadow/report')
  @ApiNotFoundResponse({ description: 'No such model, or no shadow version and no shadow figures.' })
  getShadowReport(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Query() query: ShadowReportQueryDto,
  ): Promise<ShadowReportDto> {
    return this.shadowReports.getShadowReport(principal, name, query);
  }
}
