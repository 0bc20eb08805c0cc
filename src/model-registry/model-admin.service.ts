import { Injectable, Logger } from '@nestjs/common';
import { AuditLog, AuditRecord } from '../audit/audit-log.service';
import { ChangeEventKind } from '../change-feed/change-event.entity';
import { ChangeFeedService } from '../change-feed/change-feed.service';
import { canAccessModel } from '../identity/model-access';
import { Principal } from '../identity/principal';
import { ModelSession, openSession } from './runtime/model-session';
import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { ModelCatalogService } from './model-catalog.service';
import { ModelLifecycleService } from './model-lifecycle.service';
import { assertModelName, assertVersionNumber } from './store/model-names';
import { ModelRegistry, parseVersionKey, versionKey } from './model-registry.service';
import { ModelRepository } from './store/model-store';
import { ModelResolver } from './model-resolver';
import { describeOrtError, ModelVersion } from './runtime/model-version';
import { ModelErrorCode } from './model.errors';
import { ModelVersionDto } from './http/models.dto';

/**
 * Uploads, loads, unloads and deletes versions (API: /v1/admin/models; aliases, splits, shadows and
 * deprecations: ModelLifecycleService). Uploads and deletions change the repository, which every instance re-scans; loads and unloads change
 * running state, so they go out on the change feed and every instance (every worker process) applies them.
 * A version that an alias, a traffic split or the shadow names is not deleted while the model has others
 * (409 `version_in_use`); the last version goes with the model.
 */
@Injectable()
export class ModelAdminService {
  private readonly logger = new Logger(ModelAdminService.name);
  /** Per version (`name/version`), the latest load or unload event applied here. */
  private readonly applied = new Map<string, bigint>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly repository: ModelRepository,
    private readonly resolver: ModelResolver,
    private readonly catalog: ModelCatalogService,
    private readonly events: ChangeFeedService,
    private readonly audit: AuditLog,
    private readonly lifecycle: ModelLifecycleService,
  ) {
    events.onChange((kind, ref, id) => {
      if (kind === 'model_loaded' || kind === 'model_unloaded') void this.applyAnnounced(kind, ref, BigInt(id));
    });
  }

  /**
   * Publishes a new version only after ONNX Runtime loaded it; the file appears in the repository by an
   * atomic rename, so other instances never see half a model, and a bad upload changes nothing.
   */
  async uploadModelVersion(
    principal: Principal | undefined,
    name: string,
    versionSegment: string,
    body: unknown,
  ): Promise<ModelVersionDto> {
    assertModelName(name);
    // The same answer whether or not the model exists: a model outside the allow-list is invisible.
    if (principal && !canAccessModel(principal, name)) {
      throw new DomainError(CommonErrorCode.Forbidden, 'You cannot manage models outside your allow-list.');
    }
    const number = assertVersionNumber(versionSegment);
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new DomainError(
        CommonErrorCode.UnsupportedMediaType,
        'Send the ONNX model as the raw body with Content-Type: application/octet-stream.',
      );
    }
    if (this.registry.get(name)?.versions.has(number)) throw versionExists(name, number);
    const staged = await this.repository.stage(name, body);
    let session: ModelSession;
    try {
      session = await openSession(body, this.registry.execution(name));
    } catch (error) {
      await this.repository.discard(staged);
      throw new DomainError(
        ModelErrorCode.InvalidModel,
        `ONNX Runtime cannot load this model: ${describeOrtError(error)}`,
      );
    }
    if (!(await this.repository.publish(staged, name, number))) {
      await Promise.all([this.repository.discard(staged), session.release()]);
      throw versionExists(name, number);
    }
    const version = this.registry.newVersion(name, number);
    await version.adopt(session, body);
    this.registry.register(name, version);
    await this.recorded({
      action: 'model_version.uploaded',
      target: { type: 'model_version', id: versionKey(name, number) },
      changes: { sizeBytes: { after: body.length } },
    });
    return this.catalog.versionDetail(this.registry.get(name)!, version);
  }

  async loadModelVersion(
    principal: Principal | undefined,
    name: string,
    versionSegment: string,
  ): Promise<ModelVersionDto> {
    const version = this.find(principal, name, versionSegment);
    const before = version.state;
    if (version.state !== 'READY') await this.registry.load(version);
    await this.announce('model_loaded', version);
    await this.recordStateChange('model_version.loaded', version, before);
    return this.catalog.versionDetail(this.registry.get(name)!, version);
  }

  async unloadModelVersion(
    principal: Principal | undefined,
    name: string,
    versionSegment: string,
  ): Promise<ModelVersionDto> {
    const version = this.find(principal, name, versionSegment);
    const before = version.state;
    await this.registry.unload(version);
    await this.announce('model_unloaded', version);
    await this.recordStateChange('model_version.unloaded', version, before);
    return this.catalog.versionDetail(this.registry.get(name)!, version);
  }

  async deleteModelVersion(principal: Principal | undefined, name: string, versionSegment: string): Promise<void> {
    const version = this.find(principal, name, versionSegment);
    const remove = () => this.registry.delete(version, () => this.repository.deleteVersion(name, version.version));
    // The last version takes the model with it, aliases and all; another's aliases would be left dangling.
    if ((this.registry.get(name)?.versions.size ?? 0) > 1)
      await this.lifecycle.unlessReferenced(name, version.version, remove);
    else await remove();
    await this.recorded({
      action: 'model_version.deleted',
      target: { type: 'model_version', id: versionKey(name, version.version) },
    });
  }

  /**
   * The model store is files, not rows: a change there is done before its event is appended. If the
   * append fails (the database is down), the change stands and the failure is logged with the event.
   */
  private async recorded(record: AuditRecord): Promise<void> {
    try {
      await this.audit.record(record);
    } catch (error) {
      this.logger.error({ err: error, audit: record }, `Recording audit event ${record.action} failed`);
    }
  }

  private recordStateChange(action: string, version: ModelVersion, before: string): Promise<void> {
    return this.recorded({
      action,
      target: { type: 'model_version', id: versionKey(version.model, version.version) },
      changes: before === version.state ? undefined : { state: { before, after: version.state } },
    });
  }

  /** Tells the other instances; done here first, so a retry after a failure repeats nothing harmful. */
  private async announce(kind: ChangeEventKind, version: ModelVersion): Promise<void> {
    try {
      await this.events.publish(kind, versionKey(version.model, version.version));
    } catch (error) {
      this.logger.error({ err: error }, `Recording ${kind} for ${version.model} v${version.version} failed`);
      throw new DomainError(
        CommonErrorCode.ServiceUnavailable,
        'The change applies to this instance, but could not be recorded for the others; retry shortly.',
        { retryAfterSeconds: 5 },
      );
    }
  }

  /**
   * A load or unload announced by an instance: this one (it is done already) or another. Only the
   * latest event of a version counts: the poll also brings back this instance's own events, and an
   * older one from elsewhere that arrives after a newer local change must not undo it.
   */
  private async applyAnnounced(kind: ChangeEventKind, ref: string, id: bigint): Promise<void> {
    if (id <= (this.applied.get(ref) ?? 0n)) return;
    this.applied.set(ref, id);
    const { name, version: number } = parseVersionKey(ref);
    const version = this.registry.get(name)?.versions.get(number);
    if (!version) return;
    try {
      if (kind === 'model_unloaded' && version.state !== 'UNAVAILABLE') await this.registry.unload(version);
      if (kind === 'model_loaded' && version.state !== 'READY' && version.state !== 'LOADING')
        await this.registry.load(version);
    } catch (error) {
      this.logger.error({ err: error }, `Applying ${kind} for ${ref} failed`);
    }
  }

  private find(principal: Principal | undefined, name: string, versionSegment: string): ModelVersion {
    assertModelName(name);
    return this.resolver.version(principal, name, String(assertVersionNumber(versionSegment)));
  }
}

function versionExists(name: string, version: number): DomainError {
  return new DomainError(
    ModelErrorCode.VersionExists,
    `Model ${name} already has version ${version}; versions are immutable.`,
  );
}
