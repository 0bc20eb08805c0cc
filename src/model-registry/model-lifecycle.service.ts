import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog, AuditRecord } from '../audit/audit-log.service';
import { ChangeFeedService } from '../change-feed/change-feed.service';
import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { AdvisoryLock, withAdvisoryLock } from '../database/advisory-lock';
import { Principal } from '../identity/principal';
import { ModelCatalogService } from './model-catalog.service';
import { ModelEntry, ModelRegistry } from './model-registry.service';
import { ModelResolver } from './model-resolver';
import { ModelErrorCode } from './model.errors';
import { AliasTarget, isTrafficSplit, ModelConfig, parseModelConfig } from './store/model-config';
import { assertModelName, assertVersionNumber } from './store/model-names';
import { ModelRepository } from './store/model-store';
import { SetAliasDto, SetShadowDto, ShadowDto, UpdateModelVersionDto } from './http/lifecycle.dto';
import { ModelSummaryDto, ModelVersionDto } from './http/models.dto';

const ALIAS = /^[a-z][a-z0-9_-]{0,31}$/;

/** What an edit of config.json changed, for the audit log. */
type ConfigChange = Required<Pick<AuditRecord, 'action' | 'target' | 'changes'>>;

/**
 * The model lifecycle in config.json: aliases and traffic splits, the shadow version, versions'
 * deprecation and sunset (API: /v1/admin/models). Each edit re-reads config.json under a lock shared by
 * every instance (two admins never overwrite each other), writes it atomically and announces it on the
 * change feed, so that every instance and worker process re-reads it within the feed's poll interval.
 */
@Injectable()
export class ModelLifecycleService {
  private readonly logger = new Logger(ModelLifecycleService.name);

  constructor(
    private readonly registry: ModelRegistry,
    private readonly repository: ModelRepository,
    private readonly resolver: ModelResolver,
    private readonly catalog: ModelCatalogService,
    private readonly events: ChangeFeedService,
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
  ) {
    events.onChange((kind, ref) => {
      if (kind === 'model_config') void this.registry.reloadConfig(ref);
    });
  }

  /** Points an alias at a version (`{"version"}`) or splits its traffic (`{"versions": {"1": 90, "2": 10}}`). */
  async setModelAlias(
    principal: Principal | undefined,
    name: string,
    alias: string,
    body: SetAliasDto,
  ): Promise<ModelSummaryDto> {
    const entry = this.resolver.model(principal, name);
    if (!ALIAS.test(alias) || alias === 'latest') {
      throw new DomainError(CommonErrorCode.ValidationFailed, `"${alias.slice(0, 40)}" is not a valid alias name.`);
    }
    if (body.version !== undefined && body.versions !== undefined) {
      throw new DomainError(CommonErrorCode.ValidationFailed, 'Send either "version" or "versions", not both.');
    }
    const target =
      body.versions !== undefined ? this.split(entry, body.versions) : this.single(entry, alias, body.version);
    await this.edit(name, (config) => {
      const before = config.aliases?.[alias];
      config.aliases = { ...config.aliases, [alias]: target };
      return {
        action: 'alias.updated',
        target: { type: 'alias', id: `${name}/${alias}` },
        changes: { version: { before: before ?? null, after: target } },
      };
    });
    return this.catalog.summary(this.registry.get(name)!);
  }

  getModelShadow(principal: Principal | undefined, name: string): ShadowDto {
    const entry = this.resolver.model(principal, name);
    if (!entry.config.shadow) throw noShadow(name);
    return { model: name, version: String(entry.config.shadow.version), percent: entry.config.shadow.percent };
  }

  /** Mirrors `percent` of the model's default-routed requests to `version`, after the callers are answered. */
  async setModelShadow(principal: Principal | undefined, name: string, body: SetShadowDto): Promise<ShadowDto> {
    const entry = this.resolver.model(principal, name);
    const version = typeof body.version === 'number' ? body.version : Number(assertVersionNumber(String(body.version)));
    if (!Number.isInteger(version) || version < 1 || !entry.versions.has(version)) {
      throw new DomainError(ModelErrorCode.VersionNotFound, `Model ${name} has no version ${String(body.version)}.`);
    }
    const shadow = { version, percent: body.percent };
    await this.edit(name, (config) => {
      const before = config.shadow ? { ...config.shadow } : null;
      config.shadow = shadow;
      return {
        action: 'model.shadow_updated',
        target: { type: 'model', id: name },
        changes: { shadow: { before, after: shadow } },
      };
    });
    return { model: name, version: String(version), percent: body.percent };
  }

  async deleteModelShadow(principal: Principal | undefined, name: string): Promise<void> {
    this.resolver.model(principal, name);
    await this.edit(name, (config) => {
      if (!config.shadow) throw noShadow(name);
      const before = { ...config.shadow };
      delete config.shadow;
      return {
        action: 'model.shadow_updated',
        target: { type: 'model', id: name },
        changes: { shadow: { before, after: null } },
      };
    });
  }

  /**
   * Runs `work` (deleting one of a model's versions) unless config.json names the version in an alias,
   * a traffic split or the shadow: then 409 `version_in_use`, naming them, and nothing is done (the
   * alias's callers would get 404 until someone noticed). Under the lock of config.json's edits, so that
   * no alias is pointed at the version between the check and the deletion.
   */
  async unlessReferenced(name: string, version: number, work: () => Promise<void>): Promise<void> {
    await withAdvisoryLock(this.dataSource, AdvisoryLock.ModelConfig, async () => {
      const uses = referencesTo(await this.currentConfig(name), version);
      if (uses.length > 0) {
        throw new DomainError(
          ModelErrorCode.VersionInUse,
          `Version ${version} of ${name} is in use by ${uses.join(', ')}: point ${uses.length > 1 ? 'them' : 'it'} at another version first.`,
        );
      }
      await work();
    });
  }

  /** Sets or clears (null) a version's deprecation and sunset times. */
  async updateModelVersion(
    principal: Principal | undefined,
    name: string,
    versionSegment: string,
    body: UpdateModelVersionDto,
  ): Promise<ModelVersionDto> {
    assertModelName(name);
    const version = this.resolver.version(principal, name, String(assertVersionNumber(versionSegment)));
    const key = String(version.version);
    await this.edit(name, (config) => {
      const before = { ...config.versions?.[key] };
      const after = { ...before };
      for (const field of ['deprecatedAt', 'sunsetAt'] as const) {
        const value = body[field];
        if (value === null) delete after[field];
        else if (value !== undefined) after[field] = new Date(value).toISOString();
      }
      if (after.deprecatedAt && after.sunsetAt && Date.parse(after.sunsetAt) < Date.parse(after.deprecatedAt)) {
        throw new DomainError(CommonErrorCode.ValidationFailed, 'sunsetAt must not be before deprecatedAt.', {
          errors: [{ field: 'sunsetAt', message: 'must not be before deprecatedAt' }],
        });
      }
      const versions = { ...config.versions };
      if (Object.keys(after).length > 0) versions[key] = after;
      else delete versions[key];
      config.versions = Object.keys(versions).length > 0 ? versions : undefined;
      return {
        action: 'model_version.updated',
        target: { type: 'model_version', id: `${name}/${key}` },
        changes: Object.fromEntries(
          (['deprecatedAt', 'sunsetAt'] as const)
            .filter((field) => before[field] !== after[field])
            .map((field) => [field, { before: before[field] ?? null, after: after[field] ?? null }]),
        ),
      };
    });
    const entry = this.registry.get(name)!;
    return this.catalog.versionDetail(entry, entry.versions.get(version.version) ?? version);
  }

  private single(entry: ModelEntry, alias: string, target: unknown): AliasTarget {
    const pointsAtAlias =
      alias === 'default' &&
      typeof target === 'string' &&
      target !== 'default' &&
      entry.config.aliases?.[target] !== undefined;
    if (pointsAtAlias) return target;
    const version = typeof target === 'string' && /^[1-9]\d{0,8}$/.test(target) ? Number(target) : target;
    if (typeof version !== 'number' || !Number.isInteger(version) || !entry.versions.has(version)) {
      throw new DomainError(ModelErrorCode.VersionNotFound, `Model ${entry.name} has no version ${String(target)}.`);
    }
    return version;
  }

  /** A split's weights checked (integers summing to 100, versions that exist); one version at 100 is that version. */
  private split(entry: ModelEntry, versions: Record<string, number>): AliasTarget {
    const split = { versions };
    if (!isTrafficSplit(split)) {
      throw new DomainError(
        CommonErrorCode.ValidationFailed,
        '"versions" must map version numbers to integer weights (0-100) that sum to 100.',
        { errors: [{ field: 'versions', message: 'integer weights per version, summing to 100' }] },
      );
    }
    const missing = Object.keys(versions).filter((version) => !entry.versions.has(Number(version)));
    if (missing.length > 0) {
      throw new DomainError(
        ModelErrorCode.VersionNotFound,
        `Model ${entry.name} has no version ${missing.join(', ')}.`,
      );
    }
    const weighted = Object.entries(versions).filter(([, weight]) => weight > 0);
    return weighted.length === 1 ? Number(weighted[0][0]) : { versions: Object.fromEntries(weighted) };
  }

  /**
   * One edit of a model's config.json: read fresh from the repository under the lock, changed by `change`
   * (which may refuse by throwing), written, announced on the change feed in the same transaction as its
   * audit event, and applied here before the call returns.
   */
  private async edit(name: string, change: (config: ModelConfig) => ConfigChange): Promise<void> {
    await withAdvisoryLock(this.dataSource, AdvisoryLock.ModelConfig, async () => {
      const config = await this.currentConfig(name);
      const record = change(config);
      // The feed's event and the audit event commit together; the file is written last, so that a failed
      // insert changes nothing (the feed's listeners, this instance's included, re-read it after the commit).
      const id = await this.audit.transaction(async (manager) => {
        const eventId = await this.events.publish('model_config', name);
        await this.audit.record(record, manager);
        await this.repository.writeConfig(name, stripUndefined(config));
        return eventId;
      });
      await this.registry.reloadConfig(name);
      this.logger.log(`models/${name}/config.json changed (change ${id})`);
    });
  }

  /** config.json as it is in the repository now (a broken one is a 409: an edit would lose it). */
  private async currentConfig(name: string): Promise<ModelConfig> {
    const file = await this.repository.readConfig(name);
    try {
      return parseModelConfig(file?.text);
    } catch (error) {
      throw new DomainError(
        CommonErrorCode.Conflict,
        `models/${name}/config.json is not valid (${String(error).slice(0, 300)}); fix the file first.`,
      );
    }
  }
}

/** What in config.json names `version`: aliases (a split's share too, whatever its weight) and the shadow. */
function referencesTo(config: ModelConfig, version: number): string[] {
  const uses: string[] = [];
  for (const [alias, target] of Object.entries(config.aliases ?? {})) {
    if (target === version) uses.push(`alias "${alias}"`);
    else if (isTrafficSplit(target) && String(version) in target.versions)
      uses.push(`alias "${alias}" (a traffic split, weight ${target.versions[String(version)]})`);
  }
  if (config.shadow?.version === version) uses.push('the shadow');
  return uses;
}

function noShadow(name: string): DomainError {
  return new DomainError(ModelErrorCode.ShadowNotFound, `Model ${name} has no shadow version.`);
}

function stripUndefined(value: object): object {
  return JSON.parse(JSON.stringify(value)) as object;
}
