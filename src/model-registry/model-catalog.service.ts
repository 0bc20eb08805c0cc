import { Injectable } from '@nestjs/common';
import { modelAllowed } from '../identity/model-access';
import { Principal } from '../identity/principal';
import { ModelEntry, ModelRegistry } from './model-registry.service';
import { ModelResolver } from './model-resolver';
import { ModelVersion } from './runtime/model-version';
import { ModelDetailDto, ModelListDto, ModelSummaryDto, ModelVersionDto } from './http/models.dto';

/** What `GET /v1/models...` shows: models the caller may see, their versions, states and signatures. */
@Injectable()
export class ModelCatalogService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly resolver: ModelResolver,
  ) {}

  listModels(principal: Principal): ModelListDto {
    const models = this.registry.list().filter((entry) => modelAllowed(principal.models, entry.name));
    return { models: models.map((entry) => this.summary(entry)) };
  }

  getModel(principal: Principal, name: string): ModelDetailDto {
    const entry = this.resolver.model(principal, name);
    return {
      ...this.summary(entry),
      versionDetails: this.sortedVersions(entry).map((version) => this.versionDetail(entry, version)),
    };
  }

  getModelVersion(principal: Principal, name: string, reference: string): ModelDetailDto {
    const entry = this.resolver.model(principal, name);
    const version = this.resolver.version(principal, name, reference);
    return { ...this.summary(entry), versionDetails: [this.versionDetail(entry, version)] };
  }

  summary(entry: ModelEntry): ModelSummaryDto {
    const defaultVersion = this.resolver.defaultVersion(entry);
    const aliases = Object.fromEntries(
      Object.keys(entry.config.aliases ?? {})
        .filter((alias) => alias !== 'default')
        .map((alias) => {
          try {
            return [alias, String(this.resolver.version(undefined, entry.name, alias).version)];
          } catch {
            return [alias, String(entry.config.aliases![alias])];
          }
        }),
    );
    return {
      name: entry.name,
      description: entry.config.description ?? null,
      versions: this.sortedVersions(entry).map((version) => String(version.version)),
      aliases,
      defaultVersion: defaultVersion === undefined ? null : String(defaultVersion),
      ready: defaultVersion !== undefined && entry.versions.get(defaultVersion)?.state === 'READY',
    };
  }

  versionDetail(entry: ModelEntry, version: ModelVersion): ModelVersionDto {
    const labels = entry.config.labels;
    return {
      version: String(version.version),
      state: version.state,
      inputs: version.signature?.inputs ?? [],
      outputs: version.signature?.outputs ?? [],
      ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
      sha256: version.sha256 || null,
      sizeBytes: version.sizeBytes || null,
      ...(version.error ? { error: version.error } : {}),
    };
  }

  private sortedVersions(entry: ModelEntry): ModelVersion[] {
    return [...entry.versions.values()].sort((a, b) => a.version - b.version);
  }
}
