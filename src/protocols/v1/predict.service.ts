import { Injectable } from '@nestjs/common';
import { Tensor } from 'onnxruntime-node';
import { Principal } from '../../identity/principal';
import { DomainError } from '../../common/errors/domain.error';
import { CallContext } from '../../common/request-context';
import { ModelVersion } from '../../model-registry/runtime/model-version';
import { ModelErrorCode } from '../../model-registry/model.errors';
import { DataPlane } from '../../data-plane/data-plane.service';
import { PredictionDto, PredictResponseDto } from './predict.dto';
import { decodeNested, flatValues, nestedValues } from '../../data-plane/tensor-codec';

/**
 * The native `/v1` predict API over the data plane: named nested arrays (or instances) in, nested arrays
 * and labels out.
 */
@Injectable()
export class PredictService {
  constructor(private readonly plane: DataPlane) {}

  async predict(
    call: CallContext,
    principal: Principal,
    name: string,
    reference: string | undefined,
    body: unknown,
  ): Promise<PredictResponseDto> {
    const version = this.plane.readyVersion(call, principal, name, reference);
    const feeds = this.feeds(version, body);
    const { outputs } = await this.plane.run(call, version, feeds);
    const labels = this.plane.model(principal, name).config.labels ?? {};
    const encoded: Record<string, unknown> = {};
    const flat: Record<string, unknown[]> = {};
    for (const outputName in outputs) {
      flat[outputName] = flatValues(outputs[outputName]);
      encoded[outputName] = nestedValues(outputs[outputName], flat[outputName]);
    }
    const predictions = this.predictions(outputs, flat, labels);
    return {
      model: version.model,
      version: String(version.version),
      outputs: encoded,
      ...(predictions ? { predictions } : {}),
    };
  }

  private feeds(version: ModelVersion, body: unknown): Record<string, Tensor> {
    const inputs = version.signature!.inputs;
    const max = this.plane.maxTensorElements;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalid('The body must be a JSON object with "inputs" or "instances".');
    }
    const { inputs: named, instances } = body as { inputs?: unknown; instances?: unknown };
    const extra: string[] = [];
    for (const field in body) if (field !== 'inputs' && field !== 'instances') extra.push(field);
    if (extra.length > 0)
      throw invalid(
        `Unexpected field ${extra.map((field) => `"${field.slice(0, 40)}"`).join(', ')}; send "inputs" or "instances".`,
      );
    if ((named === undefined) === (instances === undefined))
      throw invalid('Send exactly one of "inputs" or "instances".');
    if (instances !== undefined) {
      if (inputs.length !== 1)
        throw invalid(
          `"instances" is only for single-input models; this one takes ${inputs.length} inputs: use "inputs".`,
        );
      if (!Array.isArray(instances)) throw invalid('"instances" must be an array of rows.');
      return { [inputs[0].name]: decodeNested(inputs[0], instances, max) };
    }
    if (typeof named !== 'object' || named === null || Array.isArray(named))
      throw invalid('"inputs" must be an object of input name to array.');
    this.plane.assertInputNames(version, Object.keys(named));
    return Object.fromEntries(
      inputs.map((spec) => [spec.name, decodeNested(spec, (named as Record<string, unknown>)[spec.name], max)]),
    );
  }

  private predictions(
    outputs: Record<string, Tensor>,
    flat: Record<string, unknown[]>,
    labels: Record<string, string[]>,
  ): PredictionDto[] | undefined {
    for (const [outputName, classes] of Object.entries(labels)) {
      const tensor = outputs[outputName];
      if (!tensor || tensor.dims.length !== 2 || Number(tensor.dims[1]) !== classes.length) continue;
      const scores = flat[outputName] as number[];
      const width = classes.length;
      return Array.from({ length: Number(tensor.dims[0]) }, (_, row) => {
        let best = row * width;
        for (let i = best + 1; i < (row + 1) * width; i++) if (scores[i] > scores[best]) best = i;
        return { label: classes[best - row * width], score: scores[best] };
      });
    }
    return undefined;
  }
}

function invalid(message: string): DomainError {
  return new DomainError(ModelErrorCode.InvalidInput, message);
}
