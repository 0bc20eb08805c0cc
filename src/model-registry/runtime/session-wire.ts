import type { TransferListItem } from 'node:worker_threads';
import { InferenceSession, Tensor } from 'onnxruntime-node';

/** A tensor as it crosses to and from a session worker thread. */
export interface WireTensor {
  type: Tensor.Type;
  data: Tensor['data'];
  dims: readonly number[];
}

export interface WorkerSetup {
  bytes: Uint8Array;
  options: InferenceSession.SessionOptions;
}

export type WorkerRequest =
  { type: 'run'; call: number; feeds: Record<string, WireTensor>; outputNames?: string[] } | { type: 'release' };

export type WorkerReply =
  | {
      type: 'ready';
      inputMetadata: readonly InferenceSession.ValueMetadata[];
      outputMetadata: readonly InferenceSession.ValueMetadata[];
    }
  | { type: 'failed'; message: string }
  | { type: 'result'; call: number; outputs: Record<string, WireTensor> }
  | { type: 'error'; call: number; message: string };

function toWire(tensor: Tensor): WireTensor {
  return { type: tensor.type, data: tensor.data, dims: tensor.dims };
}

function fromWire(wire: WireTensor): Tensor {
  return new Tensor(wire.type, wire.data, wire.dims);
}

/** Named tensors (feeds or outputs) as they cross to or from a worker thread. */
export function toWireAll(tensors: Record<string, Tensor>): Record<string, WireTensor> {
  const wired: Record<string, WireTensor> = {};
  for (const [name, tensor] of Object.entries(tensors)) wired[name] = toWire(tensor);
  return wired;
}

export function fromWireAll(wired: Record<string, WireTensor>): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const [name, wire] of Object.entries(wired)) tensors[name] = fromWire(wire);
  return tensors;
}

/**
 * The buffers that can move rather than be copied: those a typed array has to itself (a view into a
 * larger or shared buffer is copied, which leaves the rest of that buffer usable by its owner).
 */
export function transferables(tensors: WireTensor[]): TransferListItem[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { data } of tensors) {
    if (Array.isArray(data)) continue;
    const view = data as ArrayBufferView;
    if (view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength)
      buffers.add(view.buffer);
  }
  return [...buffers];
}
