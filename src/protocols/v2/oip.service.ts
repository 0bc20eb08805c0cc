import { Injectable } from '@nestjs/common';
import { Tensor } from 'onnxruntime-node';
import { Principal } from '../../identity/principal';
import { DomainError } from '../../common/errors/domain.error';
import { CallContext } from '../../common/request-context';
import { ModelErrorCode } from '../../model-registry/model.errors';
import { version as platformVersion } from '../../common/version';
import { DataPlane } from '../../data-plane/data-plane.service';
import { OipInferResponseDto, OipModelMetadataDto } from './oip.dto';
import { decodeDeclared, flatValues } from '../../data-plane/tensor-codec';

export const OIP_PLATFORM = 'onnx_onnxv1';

/**
 * The Open Inference Protocol (KServe V2) over the data plane: its request and response bodies, its
 * metadata and readiness answers. The REST routes (oip.controller.ts, protocols/http/inference.routes.ts)
 * call it.
 */
@Injectable()
export class OipService {
  constructor(private readonly plane: DataPlane) {}

  serverMetadata(): { name: string; version: string; extensions: string[] } {
    return { name: 'modelgate', version: platformVersion, extensions: [] };
  }

  get serverReady(): boolean {
    return this.plane.serverReady;
  }

  modelMetadata(principal: Principal, name: string, reference?: string): OipModelMetadataDto {
    const entry = this.plane.model(principal, name);
    const version = this.plane.version(principal, name, reference);
    return {
      name,
      versions: [...entry.versions.keys()].sort((a, b) => a - b).map(String),
      platform: OIP_PLATFORM,
      inputs: version.signature?.inputs ?? [],
      outputs: version.signature?.outputs ?? [],
    };
  }

  modelReady(principal: Principal, name: string, reference?: string): { name: string; ready: boolean } {
    return { name, ready: this.plane.version(principal, name, reference).state === 'READY' };
  }

  async infer(
    call: CallContext,
    principal: Principal,
    name: string,
    reference: string | undefined,
    body: unknown,
  ): Promise<OipInferResponseDto> {
    const version = this.plane.readyVersion(call, principal, name, reference);
    const { id, inputs, outputs: requested } = parseRequest(body);
    this.plane.assertInputNames(
      version,
      inputs.map((input) => input.name),
    );
    const feeds: Record<string, Tensor> = {};
    for (const spec of version.signature!.inputs) {
      const input = inputs.find((candidate) => candidate.name === spec.name)!;
      feeds[spec.name] = decodeDeclared(spec, input.datatype, input.shape, input.data, this.plane.maxTensorElements);
    }
    const outputNames = requested?.map((output) => output.name);
    const unknown = outputNames?.filter(
      (outputName) => !version.signature!.outputs.some((spec) => spec.name === outputName),
    );
    if (unknown?.length)
      throw new DomainError(
        ModelErrorCode.UnknownOutput,
        `Unknown output ${unknown.map((n) => `"${n.slice(0, 64)}"`).join(', ')}.`,
      );
    const { outputs } = await this.plane.run(call, version, feeds, outputNames);
    return {
      model_name: version.model,
      model_version: String(version.version),
      ...(id !== undefined ? { id } : {}),
      outputs: Object.entries(outputs).map(([outputName, tensor]) => ({
        name: outputName,
        shape: tensor.dims.map(Number),
        datatype: version.signature!.outputs.find((spec) => spec.name === outputName)!.datatype,
        data: flatValues(tensor),
      })),
    };
  }
}

interface ParsedInput {
  name: string;
  datatype: string;
  shape: unknown;
  data: unknown;
}

function parseRequest(body: unknown): { id?: string; inputs: ParsedInput[]; outputs?: { name: string }[] } {
  const invalid = (message: string) => new DomainError(ModelErrorCode.InvalidInput, message);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('The body must be a JSON object with "inputs".');
  const { id, inputs, outputs } = body as { id?: unknown; inputs?: unknown; outputs?: unknown };
  if (id !== undefined && typeof id !== 'string') throw invalid('"id" must be a string.');
  if (!Array.isArray(inputs) || inputs.length === 0) throw invalid('"inputs" must be a non-empty array of tensors.');
  const parsed = inputs.map((input: unknown, index) => {
    const tensor = input as Partial<ParsedInput> | null;
    if (
      typeof tensor !== 'object' ||
      tensor === null ||
      typeof tensor.name !== 'string' ||
      typeof tensor.datatype !== 'string'
    ) {
      throw invalid(`inputs[${index}] needs "name", "shape", "datatype" and "data".`);
    }
    if (tensor.shape === undefined || tensor.data === undefined)
      throw invalid(`Input "${tensor.name.slice(0, 64)}" needs "shape" and "data".`);
    return tensor as ParsedInput;
  });
  const names = parsed.map((input) => input.name);
  if (new Set(names).size !== names.length) throw invalid('Each input may appear once.');
  if (
    outputs !== undefined &&
    (!Array.isArray(outputs) || !outputs.every((output) => typeof (output as { name?: unknown })?.name === 'string'))
  ) {
    throw invalid('"outputs" must be an array of {"name"}.');
  }
  return { id, inputs: parsed, outputs: outputs as { name: string }[] | undefined };
}
