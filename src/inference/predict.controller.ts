import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiNotFoundResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, Scopes } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { PredictRequestDto, PredictResponseDto } from './predict.dto';
import { PredictService } from './predict.service';

@ApiTags('inference')
@Scopes(Scope.ModelsInfer)
@Controller({ path: 'models', version: '1' })
export class PredictController {
  constructor(private readonly predictions: PredictService) {}

  /** Run the model's default version. */
  @Post(':name/predict')
  @HttpCode(200)
  @ApiBody({ type: PredictRequestDto })
  @ApiNotFoundResponse()
  @ApiServiceUnavailableResponse({ description: 'The model is not ready or its queue is full (see Retry-After).' })
  predict(
    @Req() request: FastifyRequest,
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Body() body: unknown,
  ): Promise<PredictResponseDto> {
    return this.predictions.predict(request, principal, name, undefined, body);
  }

  /** Run a given version (a number, `latest` or an alias). */
  @Post(':name/versions/:version/predict')
  @HttpCode(200)
  @ApiBody({ type: PredictRequestDto })
  @ApiNotFoundResponse()
  @ApiServiceUnavailableResponse({ description: 'The model is not ready or its queue is full (see Retry-After).' })
  predictVersion(
    @Req() request: FastifyRequest,
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
  ): Promise<PredictResponseDto> {
    return this.predictions.predict(request, principal, name, version, body);
  }
}
