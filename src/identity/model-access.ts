import { Principal } from './principal';

const patternCache = new Map<string, RegExp>();

function compile(pattern: string): RegExp {
  let regex = patternCache.get(pattern);
  if (!regex) {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    regex = new RegExp(`^${source}$`);
    patternCache.set(pattern, regex);
  }
  return regex;
}

/** Whether a model name matches an allow-list of glob patterns (`*` any run, `?` one character). */
export function modelAllowed(allowList: readonly string[], model: string): boolean {
  return allowList.some((pattern) => pattern === '*' || pattern === model || compile(pattern).test(model));
}

/** Whether the principal may see a model at all; a model it may not see must look like it does not exist. */
export function canAccessModel(principal: Principal, model: string): boolean {
  return modelAllowed(principal.models, model);
}
