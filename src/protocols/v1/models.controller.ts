import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes } from '../../identity/access.decorators';
import { Principal } from '../../identity/principal';
import { Scope } from '../../identity/scopes';
import { ModelCatalogService } from '../../model-registry/model-catalog.service';
import { ModelDetailDto, ModelListDto } from '../../model-registry/http/models.dto';

@ApiTags('models')
@Scopes(Scope.ModelsRead)
@Controller({ path: 'models', version: '1' })
export class ModelsController {
  constructor(private readonly catalog: ModelCatalogService) {}

  /** The models the caller may use. */
  @Get()
  listModels(@CurrentPrincipal() principal: Principal): ModelListDto {
    return this.catalog.listModels(principal);
  }

  /** A model with every version's state and signature. */
  @Get(':name')
  @ApiNotFoundResponse()
  getModel(@CurrentPrincipal() principal: Principal, @Param('name') name: string): ModelDetailDto {
    return this.catalog.getModel(principal, name);
  }

  /** One version (a number, `latest` or an alias). */
  @Get(':name/versions/:version')
  @ApiNotFoundResponse()
  getModelVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
  ): ModelDetailDto {
    return this.catalog.getModelVersion(principal, name, version);
  }
}
