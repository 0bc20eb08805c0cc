import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { createAdminKey, issueApiKey } from './credentials';
import { addModel, copyModels, identityModel } from './models';
import { startTestApp, TestApp } from './test-app';

const { DataType } = onnx.TensorProto;

export interface InferenceServer {
  server: TestApp;
  /** The server's private copy of the model repository (tests change it). */
  repository: string;
  admin: string;
  /** A key with models:read and models:infer. */
  partner: string;
}

/**
 * The application on a copy of the committed models plus two small test models (`add-i32`, an
 * integer Add; `flags`, a boolean Identity), re-scanning every 200 ms, with an admin and a partner key.
 */
export async function startInferenceServer(): Promise<InferenceServer> {
  const repository = copyModels();
  mkdirSync(join(repository, 'add-i32', '1'), { recursive: true });
  writeFileSync(join(repository, 'add-i32', '1', 'model.onnx'), addModel(DataType.INT32, ['batch', 2]));
  mkdirSync(join(repository, 'flags', '1'), { recursive: true });
  writeFileSync(join(repository, 'flags', '1', 'model.onnx'), identityModel(DataType.BOOL, ['batch', 3]));
  const server = await startTestApp({
    MODEL_REPOSITORY: repository,
    MODEL_RESCAN_INTERVAL_MS: '200',
    MAX_TENSOR_ELEMENTS: '10000',
  });
  const admin = await createAdminKey(server);
  const partner = (await issueApiKey(server, admin, { scopes: ['models:read', 'models:infer'] })).key;
  return { server, repository, admin, partner };
}

/** Requests to an inference server, with the partner key unless another is given. */
export function inferenceRequests(current: () => InferenceServer) {
  return {
    post: (path: string, body: unknown, key = current().partner) =>
      fetch(`${current().server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    get: (path: string, key = current().partner) =>
      fetch(`${current().server.url}${path}`, { headers: { 'x-api-key': key } }),
    upload: (name: string, version: string, bytes: Uint8Array) =>
      fetch(`${current().server.url}/v1/admin/models/${name}/versions/${version}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'x-api-key': current().admin },
        body: bytes,
      }),
  };
}
