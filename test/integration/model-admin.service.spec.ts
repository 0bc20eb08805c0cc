import { TestingModule } from '@nestjs/testing';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain.error';
import { DocsModule } from '../../src/docs/docs.module';
import { HealthModule } from '../../src/health/health.module';
import { Principal } from '../../src/identity/principal';
import { Scope } from '../../src/identity/scopes';
import { ModelAdminService } from '../../src/model-registry/model-admin.service';
import { ModelLifecycleService } from '../../src/model-registry/model-lifecycle.service';
import { ModelRegistryModule } from '../../src/model-registry/model-registry.module';
import { ModelResolver } from '../../src/model-registry/model-resolver';
import { addModel, copyModels } from '../support/models';
import { startTestModule } from '../support/test-module';

const { DataType } = onnx.TensorProto;

const admin: Principal = {
  type: 'api_key',
  id: 'spec-admin',
  name: 'spec admin',
  scopes: [Scope.ModelsManage],
  models: ['*'],
};

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error instanceof DomainError ? error.code : 'not a domain error'),
  );
}

describe(ModelAdminService.name, () => {
  let module: TestingModule;
  let models: ModelAdminService;
  let resolver: ModelResolver;
  let lifecycle: ModelLifecycleService;
  let repository: string;

  beforeAll(async () => {
    repository = copyModels();
    module = await startTestModule([DocsModule, HealthModule, ModelRegistryModule], {
      MODEL_REPOSITORY: repository,
      MODEL_RESCAN_INTERVAL_MS: '0',
    });
    models = module.get(ModelAdminService);
    resolver = module.get(ModelResolver);
    lifecycle = module.get(ModelLifecycleService);
  });

  afterAll(async () => {
    await module.close();
  });

  it('should publish an upload only after ONNX Runtime loads it, and refuse it twice', async () => {
    const bytes = Buffer.from(addModel(DataType.FLOAT, ['batch', 2]));
    const uploaded = await models.uploadModelVersion(admin, 'adder', '1', bytes);
    expect(uploaded).toMatchObject({ version: '1', state: 'READY' });
    expect(readFileSync(join(repository, 'adder', '1', 'model.onnx')).equals(bytes)).toBe(true);
    expect(await codeOf(models.uploadModelVersion(admin, 'adder', '1', bytes))).toBe('version_exists');
    expect(await codeOf(models.uploadModelVersion(admin, 'adder', '2', Buffer.from('not onnx')))).toBe('invalid_model');
    expect(existsSync(join(repository, 'adder', '2'))).toBe(false);
    expect(await codeOf(models.uploadModelVersion(admin, 'Bad Name', '1', bytes))).toBe('invalid_model_name');
  });

  it('should unload and load a version, and point aliases at versions only', async () => {
    expect(await models.unloadModelVersion(admin, 'iris', '2')).toMatchObject({ state: 'UNAVAILABLE' });
    expect(await models.loadModelVersion(admin, 'iris', '2')).toMatchObject({ state: 'READY' });
    await lifecycle.setModelAlias(admin, 'iris', 'canary', { version: '2' });
    expect(resolver.version(undefined, 'iris', 'canary').version).toBe(2);
    expect(JSON.parse(readFileSync(join(repository, 'iris', 'config.json'), 'utf8'))).toMatchObject({
      aliases: { canary: 2 },
    });
    expect(await codeOf(lifecycle.setModelAlias(admin, 'iris', 'canary', { version: '9' }))).toBe('version_not_found');
    expect(await codeOf(lifecycle.setModelAlias(admin, 'iris', 'latest', { version: '1' }))).toBe('validation_failed');
  });

  it('should delete a version with its files, and hide models outside a caller’s allow-list', async () => {
    await models.deleteModelVersion(admin, 'adder', '1');
    expect(existsSync(join(repository, 'adder', '1'))).toBe(false);
    expect(await codeOf(models.loadModelVersion(admin, 'adder', '1'))).toBe('model_not_found');
    const narrow = { ...admin, models: ['iris'] };
    expect(await codeOf(models.unloadModelVersion(narrow, 'mlp', '1'))).toBe('model_not_found');
    expect(await codeOf(models.uploadModelVersion(narrow, 'mlp', '5', Buffer.from('x')))).toBe('forbidden');
  });
});
