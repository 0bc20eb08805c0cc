import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiNotFoundResponse, ApiParam, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { principalOf, Scopes } from '../auth/auth.decorators';
import { Scope } from '../auth/scopes';
import { PredictRequestDto, PredictResponseDto } from './predict.dto';
import { inferenceParams } from './inference-request';
import { PredictService } from './predict.service';

@ApiTags('inference')
@Scopes(Scope.ModelsInfer)
@Controller({ path: 'models', version: '1' })
export class PredictController {
  constructor(private readonly predictions: PredictService) {}

  /** Run the model's default version. */
  @Post(':name/predict')
  @HttpCode(200)
  @ApiParam({ name: 'name', description: 'The model' })
  @ApiBody({ type: PredictRequestDto })
  @ApiNotFoundResponse()
  @ApiServiceUnavailableResponse({ description: 'The model is not ready or its queue is full (see Retry-After).' })
  predict(@Req() request: FastifyRequest): Promise<PredictResponseDto> {
    const { name } = inferenceParams(request);
    return this.predictions.predict(request, principalOf(request), name, undefined, request.body);
  }

  /** Run a given version (a number, `latest` or an alias). */
  @Post(':name/versions/:version/predict')
  @HttpCode(200)
  @ApiParam({ name: 'name', description: 'The model' })
  @ApiParam({ name: 'version', description: 'A version number, `latest` or an alias' })
  @ApiBody({ type: PredictRequestDto })
  @ApiNotFoundResponse()
  @ApiServiceUnavailableResponse({ description: 'The model is not ready or its queue is full (see Retry-After).' })
  predictVersion(@Req() request: FastifyRequest): Promise<PredictResponseDto> {
    const { name, version } = inferenceParams(request);
    return this.predictions.predict(request, principalOf(request), name, version, request.body);
  }
}
