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
    const aliases: Record<string, string> = {};
    const trafficSplits: Record<string, Record<string, number>> = {};
    for (const [alias, target] of Object.entries(entry.config.aliases ?? {})) {
      if (typeof target === 'object') trafficSplits[alias] = { ...target.versions };
      if (alias === 'default') continue;
      const version = this.resolver.aliasVersion(entry, alias);
      if (version !== undefined) aliases[alias] = String(version);
      else if (typeof target !== 'object') aliases[alias] = String(target);
    }
    return {
      name: entry.name,
      description: entry.config.description ?? null,
      versions: this.sortedVersions(entry).map((version) => String(version.version)),
      aliases,
      ...(Object.keys(trafficSplits).length > 0 ? { trafficSplits } : {}),
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
      deprecatedAt: entry.config.versions?.[version.version]?.deprecatedAt ?? null,
      sunsetAt: entry.config.versions?.[version.version]?.sunsetAt ?? null,
    };
  }

  private sortedVersions(entry: ModelEntry): ModelVersion[] {
    return [...entry.versions.values()].sort((a, b) => a.version - b.version);
  }
}
