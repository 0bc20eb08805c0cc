import { Injectable } from '@nestjs/common';
import { canAccessModel } from '../identity/model-access';
import { Principal } from '../identity/principal';
import { DomainError } from '../common/errors/domain.error';
import { isVersionNumber } from './store/model-config';
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

  /** The version a reference names; `undefined` means the model's default. */
  version(principal: Principal | undefined, name: string, reference?: string): ModelVersion {
    const entry = this.model(principal, name);
    const number = this.versionNumber(entry, reference);
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
    return this.versionNumber(entry, undefined);
  }

  /** The highest version that is READY, else the highest version. */
  latest(entry: ModelEntry): number | undefined {
    const versions = [...entry.versions.values()].sort((a, b) => b.version - a.version);
    return (versions.find((version) => version.state === 'READY') ?? versions[0])?.version;
  }

  private versionNumber(entry: ModelEntry, reference: string | undefined, depth = 0): number | undefined {
    if (reference === undefined) {
      const target = entry.config.aliases?.default;
      if (target === undefined) return this.latest(entry);
      return isVersionNumber(target) ? target : this.versionNumber(entry, target, depth + 1);
    }
    if (reference === 'latest') return this.latest(entry);
    const number = parseVersionNumber(reference);
    if (number !== undefined) return number;
    const alias = entry.config.aliases?.[reference];
    if (isVersionNumber(alias)) return alias;
    if (typeof alias === 'string' && depth < 3) return this.versionNumber(entry, alias, depth + 1);
    return undefined;
  }
}
