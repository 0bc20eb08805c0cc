import { Injectable } from '@nestjs/common';
import { canAccessModel } from '../identity/model-access';
import { Principal } from '../identity/principal';
import { DomainError } from '../common/errors/domain.error';
import { isVersionNumber } from './store/model-config';
import { pickVersion } from './traffic-split';
import { parseVersionNumber } from './store/model-names';
import { ModelEntry, ModelRegistry } from './model-registry.service';
import { ModelVersion } from './runtime/model-version';
import { ModelErrorCode } from './model.errors';

/** Turns `name` + `{version}` (a number, `latest` or an alias) into a version the caller may see. */
@Injectable()
export class ModelResolver {
  constructor(private readonly registry: ModelRegistry) {}

  /** The model, or 404 when it does not exist or the principal may not see it. */
  model(principal: Principal | undefined, name: string): ModelEntry {
    const entry = this.registry.get(name);
    if (!entry || (principal && !canAccessModel(principal, name))) {
      throw new DomainError(ModelErrorCode.ModelNotFound, `Model ${name.slice(0, 80)} does not exist.`);
    }
    return entry;
  }

  /**
   * The version a reference names; `undefined` means the model's default. An alias that splits traffic
   * picks the caller's version by a hash of its id (sticky); without a principal, the heaviest version.
   */
  version(principal: Principal | undefined, name: string, reference?: string): ModelVersion {
    return this.versionIn(this.model(principal, name), principal, reference);
  }

  /** `version` for a model already looked up (and checked against the principal's allow-list). */
  versionIn(entry: ModelEntry, principal: Principal | undefined, reference?: string): ModelVersion {
    const name = entry.name;
    const number = this.versionNumber(entry, reference, principal?.id);
    const version = number === undefined ? undefined : entry.versions.get(number);
    if (!version) {
      throw new DomainError(
        ModelErrorCode.VersionNotFound,
        `Model ${name} has no version ${String(reference ?? number ?? '')}.`.replace(/ \.$/, '.'),
      );
    }
    return version;
  }

  /** The version a model's default (its `default` alias, else `latest`) points at. */
  defaultVersion(entry: ModelEntry): number | undefined {
    return this.versionNumber(entry, undefined, undefined);
  }

  /** The version an alias points at (a split's heaviest), or undefined. */
  aliasVersion(entry: ModelEntry, alias: string): number | undefined {
    return this.versionNumber(entry, alias, undefined);
  }

  /** The highest version that is READY, else the highest version. */
  latest(entry: ModelEntry): number | undefined {
    const versions = [...entry.versions.values()].sort((a, b) => b.version - a.version);
    return (versions.find((version) => version.state === 'READY') ?? versions[0])?.version;
  }

  private versionNumber(
    entry: ModelEntry,
    reference: string | undefined,
    principalId: string | undefined,
    depth = 0,
  ): number | undefined {
    if (reference === undefined) {
      const target = entry.config.aliases?.default;
      if (target === undefined) return this.latest(entry);
      if (isVersionNumber(target)) return target;
      if (typeof target === 'string') return this.versionNumber(entry, target, principalId, depth + 1);
      return pickVersion(target, 'default', principalId);
    }
    if (reference === 'latest') return this.latest(entry);
    const number = parseVersionNumber(reference);
    if (number !== undefined) return number;
    const alias = entry.config.aliases?.[reference];
    if (isVersionNumber(alias)) return alias;
    if (typeof alias === 'string') {
      return depth < 3 ? this.versionNumber(entry, alias, principalId, depth + 1) : undefined;
    }
    return alias === undefined ? undefined : pickVersion(alias, reference, principalId);
  }
}
