import { Injectable } from '@nestjs/common';
import { Tensor } from 'onnxruntime-node';
import { Principal } from '../../identity/principal';
import { DomainError } from '../../common/errors/domain.error';
import { CallContext } from '../../common/request-context';
import { ModelErrorCode } from '../../model-registry/model.errors';
import { version as platformVersion } from '../../common/version';
import { DataPlane } from '../../data-plane/data-plane.service';
import { OipDatatype } from '../../model-registry/runtime/datatypes';
import { ModelVersion } from '../../model-registry/runtime/model-version';
import { decodeRaw } from '../../data-plane/raw-tensors';
import { decodeDeclared } from '../../data-plane/tensor-codec';
import { OipModelMetadataDto } from './oip.dto';

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
    return { name: 'modelgate', version: platformVersion, extensions: ['binary_tensor_data'] };
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

  /**
   * The READY version a call names (404 for a model the caller may not see, 503 when not ready): first,
   * before the transport reads the body, so that an unknown model is a 404 whatever the body holds.
   */
  readyVersion(call: CallContext, principal: Principal, name: string, reference: string | undefined): ModelVersion {
    return this.plane.readyVersion(call, principal, name, reference);
  }

  /**
   * Runs an inference request, whatever transport brought it (REST JSON or binary, gRPC): inputs with
   * JSON-like `data` or `raw` bytes, the outputs asked for. The outputs come back as tensors with the
   * form each was asked in (`binary`), for the transport to encode.
   */
  async infer(call: CallContext, version: ModelVersion, request: OipRequest): Promise<OipResult> {
    const signature = version.signature!;
    this.plane.assertInputNames(
      version,
      request.inputs.map((input) => input.name),
    );
    const max = this.plane.maxTensorElements;
    const feeds: Record<string, Tensor> = {};
    for (const spec of signature.inputs) {
      const input = request.inputs.find((candidate) => candidate.name === spec.name)!;
      feeds[spec.name] =
        input.raw !== undefined
          ? decodeRaw(spec, input.datatype, input.shape, input.raw, max)
          : decodeDeclared(spec, input.datatype, input.shape, input.data, max);
    }
    const outputNames = request.outputs?.map((output) => output.name);
    const unknown = outputNames?.filter((outputName) => !signature.outputs.some((spec) => spec.name === outputName));
    if (unknown?.length)
      throw new DomainError(
        ModelErrorCode.UnknownOutput,
        `Unknown output ${unknown.map((n) => `"${n.slice(0, 64)}"`).join(', ')}.`,
      );
    const { outputs } = await this.plane.run(call, version, feeds, outputNames);
    return {
      model_name: version.model,
      model_version: String(version.version),
      ...(request.id !== undefined ? { id: request.id } : {}),
      outputs: Object.entries(outputs).map(([outputName, tensor]) => ({
        name: outputName,
        shape: tensor.dims.map(Number),
        datatype: signature.outputs.find((spec) => spec.name === outputName)!.datatype,
        tensor,
        binary: request.outputs?.find((output) => output.name === outputName)?.binary ?? request.binaryOutputs ?? false,
      })),
    };
  }
}

/** An input tensor of an inference request: its values as JSON-like `data` (flat or nested) or `raw` bytes. */
export interface OipInput {
  name: string;
  datatype: string;
  shape: unknown;
  data?: unknown;
  raw?: Uint8Array;
}

/** An inference request, as every transport of the Open Inference Protocol describes it. */
export interface OipRequest {
  id?: string;
  inputs: OipInput[];
  /** The outputs asked for (all when absent), each in binary form or not. */
  outputs?: { name: string; binary?: boolean }[];
  /** Every output in binary form unless an output says otherwise (`binary_data_output`). */
  binaryOutputs?: boolean;
}

export interface OipOutput {
  name: string;
  datatype: OipDatatype;
  shape: number[];
  tensor: Tensor;
  /** Asked for in binary form. */
  binary: boolean;
}

export interface OipResult {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: OipOutput[];
}
