import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { usageRowOfLine } from './usage-event';

/**
 * Files of usage events (the journal's segments, the spool) are named after the process that wrote
 * them, so that another process can tell whether they are still in use: on Linux a process is its pid
 * and its start time (in clock ticks since boot), under one boot id; pids alone are reused, by a
 * restarted container above all. Elsewhere, the pid alone (a reused pid only delays a replay).
 */
const BOOT_ID = readText('/proc/sys/kernel/random/boot_id')?.trim().replace(/-/g, '').slice(0, 12) ?? 'noboot';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: the start time; undefined when the process does not exist (or no /proc). */
function startTimeOf(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** This process: `<boot>.<pid>.<start>`. */
export const PROCESS_OWNER = `${BOOT_ID}.${process.pid}.${startTimeOf(process.pid) ?? '0'}`;

/** Whether the process an owner token names is still running (on this machine, since this boot). */
export function ownerAlive(owner: string): boolean {
  const [boot, pidText, start] = owner.split('.');
  const pid = Number(pidText);
  if (owner === PROCESS_OWNER) return true;
  if (boot !== BOOT_ID || !Number.isInteger(pid) || pid <= 0) return false;
  if (BOOT_ID !== 'noboot') return startTimeOf(pid) === start;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `<prefix>-<owner>-<instance>-<n>.jsonl`, where instance tells apart two recorders of one process. */
const FILE_NAME = /^([a-z]+)-([A-Za-z0-9]+\.\d+\.\d+)-([0-9a-f]{8})-\d+\.jsonl$/;
/** A file claimed for replay: `<name>.replaying-<owner>-<instance>`. */
const CLAIMED = /\.replaying-([A-Za-z0-9]+\.\d+\.\d+)-([0-9a-f]{8})$/;

/** One recorder's identity in file names: the process and an instance id. */
export class FileOwner {
  readonly instance = randomUUID().slice(0, 8);
  private sequence = 0;

  fileName(prefix: string): string {
    return `${prefix}-${PROCESS_OWNER}-${this.instance}-${++this.sequence}.jsonl`;
  }

  get claimSuffix(): string {
    return `.replaying-${PROCESS_OWNER}-${this.instance}`;
  }

  /** Whether a file (a segment or a claim) is this recorder's own. */
  owns(name: string): boolean {
    return name.includes(`-${PROCESS_OWNER}-${this.instance}`);
  }
}

/**
 * Claims (by renaming, so that one process wins) the files in `dir` that must be replayed by `owner`:
 * those of processes no longer running (their segments, their spool, their unfinished claims), its own
 * unfinished claims, and, with `ownFiles`, its own files too (the spool; never the journal's live
 * segments). Files of an older version's format (no owner in the name) are claimed as well.
 */
export async function claimFiles(dir: string, owner: FileOwner, ownFiles: boolean): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const claimed: string[] = [];
  for (const name of names) {
    const claim = CLAIMED.exec(name);
    const file = FILE_NAME.exec(name);
    let take: boolean;
    if (claim) take = name.endsWith(owner.claimSuffix) || !ownerAlive(claim[1]);
    else if (file) take = owner.owns(name) ? ownFiles : !ownerAlive(file[2]);
    else take = name.endsWith('.jsonl') || /\.jsonl\.replaying-[0-9a-f-]{36}$/.test(name); // older versions
    if (!take) continue;
    const base = claim ? name.slice(0, claim.index) : name.replace(/\.replaying-[0-9a-f-]{36}$/, '');
    const target = join(dir, `${base}${owner.claimSuffix}`);
    try {
      if (join(dir, name) !== target) await rename(join(dir, name), target);
      claimed.push(target);
    } catch {
      // another process claimed it first
    }
  }
  return claimed;
}

/**
 * Hands the events of claimed files to `write` in chunks (writes are idempotent: events already stored
 * are skipped) and deletes each file once written. A failure leaves the file claimed by this recorder,
 * which retries it on its next replay (or, if it stops, another process does).
 */
export async function replayFiles(
  paths: string[],
  write: (rows: string[]) => Promise<void>,
  chunkSize: number,
): Promise<number> {
  let replayed = 0;
  for (const path of paths) {
    // A line cut short by a crash mid-write is left out: that event's request was not answered.
    const events = (await readFile(path, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => usageRowOfLine(line) ?? []);
    for (let start = 0; start < events.length; start += chunkSize) await write(events.slice(start, start + chunkSize));
    await rm(path);
    replayed += events.length;
  }
  return replayed;
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
