import { DomainError } from '../common/errors/domain.error';
import { ModelEntry } from './model-registry.service';
import { ModelErrorCode } from './model.errors';
import { VersionLifecycleConfig } from './store/model-config';

/** A version's deprecation as response headers, computed once per config (config.json `versions`). */
export interface LifecycleHeaders {
  /** RFC 9745: `@<unix seconds>`. */
  deprecation?: string;
  /** RFC 8594: an HTTP-date. */
  sunset?: string;
  /** `<...>; rel="sunset"` (RFC 8594 §4). */
  link?: string;
  /** When the version stops answering (ms since the epoch). */
  sunsetAtMs?: number;
}

const compiled = new WeakMap<VersionLifecycleConfig, LifecycleHeaders>();

function compile(name: string, lifecycle: VersionLifecycleConfig): LifecycleHeaders {
  let headers = compiled.get(lifecycle);
  if (headers) return headers;
  headers = {};
  if (lifecycle.deprecatedAt) headers.deprecation = `@${Math.floor(Date.parse(lifecycle.deprecatedAt) / 1000)}`;
  if (lifecycle.sunsetAt) {
    headers.sunsetAtMs = Date.parse(lifecycle.sunsetAt);
    headers.sunset = new Date(headers.sunsetAtMs).toUTCString();
    headers.link = `<${lifecycle.sunsetLink ?? `/v1/models/${encodeURIComponent(name)}`}>; rel="sunset"`;
  }
  compiled.set(lifecycle, headers);
  return headers;
}

/**
 * The deprecation headers of a version about to serve a call, or undefined for a version with none
 * (a model without `versions` in its config costs one property read). After its sunset: 410.
 */
export function lifecycleOf(entry: ModelEntry, version: number, now = Date.now()): LifecycleHeaders | undefined {
  const versions = entry.config.versions;
  if (versions === undefined) return undefined;
  const lifecycle = versions[version];
  if (lifecycle === undefined) return undefined;
  const headers = compile(entry.name, lifecycle);
  if (headers.sunsetAtMs !== undefined && now >= headers.sunsetAtMs) {
    throw new DomainError(
      ModelErrorCode.VersionSunset,
      `Model ${entry.name} version ${version} was retired on ${lifecycle.sunsetAt}; call another version.`,
    );
  }
  return headers.deprecation || headers.sunset ? headers : undefined;
}

/** Whether a version is deprecated now (for the OpenAPI document), and whether it is past its sunset. */
export function lifecycleState(
  entry: ModelEntry,
  version: number,
  now = Date.now(),
): { deprecated: boolean; gone: boolean } {
  const lifecycle = entry.config.versions?.[version];
  if (!lifecycle) return { deprecated: false, gone: false };
  const gone = lifecycle.sunsetAt !== undefined && now >= Date.parse(lifecycle.sunsetAt);
  const deprecated = gone || (lifecycle.deprecatedAt !== undefined && now >= Date.parse(lifecycle.deprecatedAt));
  return { deprecated, gone };
}
