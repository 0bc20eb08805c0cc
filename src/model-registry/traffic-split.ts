import { TrafficSplit } from './store/model-config';

/** A traffic split ready for routing: version numbers in ascending order and where each one's range ends. */
interface CompiledSplit {
  versions: number[];
  /** `ends[i]`: the first bucket (0-99) past version i's range. */
  ends: number[];
  /** The version with the largest weight (the lowest of equals): what a caller without identity gets. */
  primary: number;
}

const compiled = new WeakMap<TrafficSplit, CompiledSplit>();

function compile(split: TrafficSplit): CompiledSplit {
  let found = compiled.get(split);
  if (found) return found;
  const entries = Object.entries(split.versions)
    .map(([version, weight]) => [Number(version), weight] as const)
    .sort((a, b) => a[0] - b[0]);
  const versions: number[] = [];
  const ends: number[] = [];
  let end = 0;
  let primary = entries[0][0];
  let primaryWeight = -1;
  for (const [version, weight] of entries) {
    if (weight === 0) continue;
    end += weight;
    versions.push(version);
    ends.push(end);
    if (weight > primaryWeight) [primary, primaryWeight] = [version, weight];
  }
  found = { versions, ends, primary };
  compiled.set(split, found);
  return found;
}

/**
 * The bucket (0-99) of a caller for an alias: FNV-1a of `principal id` + `alias`. Stable for the
 * caller, so it keeps its version while the weights stay the same; and since versions take their
 * ranges in ascending order, a newer version's range only grows as its weight rises (10% -> 50%):
 * a caller a canary already served keeps it through the roll-out.
 */
export function bucketOf(principalId: string, alias: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < principalId.length; i++) hash = Math.imul(hash ^ principalId.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ 0x2f, 0x01000193); // a separator: ("ab", "c") and ("a", "bc") differ
  for (let i = 0; i < alias.length; i++) hash = Math.imul(hash ^ alias.charCodeAt(i), 0x01000193);
  // A final avalanche (murmur3's) so that similar ids spread over the buckets.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return (hash >>> 0) % 100;
}

/** The version a split routes a caller to (by its bucket); without a caller, the heaviest version. */
export function pickVersion(split: TrafficSplit, alias: string, principalId: string | undefined): number {
  const { versions, ends, primary } = compile(split);
  if (principalId === undefined) return primary;
  const bucket = bucketOf(principalId, alias);
  for (let i = 0; i < ends.length; i++) if (bucket < ends[i]) return versions[i];
  return primary;
}

/** The version with the largest weight (shown as the alias's version where one version is expected). */
export function primaryVersion(split: TrafficSplit): number {
  return compile(split).primary;
}
