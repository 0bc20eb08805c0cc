/** Just enough of a Dockerfile parser for the checks that need no build: instructions grouped by stage. */

export interface Instruction {
  keyword: string;
  /** The arguments as written (continuation lines joined, flags included). */
  raw: string;
  line: number;
}

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const start = index;
    let current = lines[index];
    if (/^\s*(#.*)?$/.test(current)) continue;
    while (current.trimEnd().endsWith('\\') && index + 1 < lines.length) {
      index++;
      // Comment lines inside a continued instruction are dropped, as Docker does.
      if (/^\s*#/.test(lines[index])) continue;
      current = `${current.trimEnd().slice(0, -1)} ${lines[index].trim()}`;
    }
    current = current.trimEnd().replace(/\\$/, '');
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(current);
    if (!match) throw new Error(`line ${start + 1}: cannot parse "${current}"`);
    instructions.push({ keyword: match[1].toUpperCase(), raw: match[2].trim(), line: start + 1 });
  }

  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.raw.split(/\s+/).filter((word) => !word.startsWith('--'));
      const asIndex = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({
        base: words[0],
        name: asIndex >= 0 ? words[asIndex + 1] : String(stages.length),
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG')
        throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
      const [name, value = ''] = instruction.raw.split('=', 2);
      globalArgs[name.trim()] = value.trim();
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** Expands `${NAME}` and `$NAME` from `args`. */
export function expand(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    return name in args ? args[name] : whole;
  });
}

/** The JSON array of an exec-form instruction (CMD, ENTRYPOINT, HEALTHCHECK ... CMD), or undefined. */
export function execForm(raw: string): string[] | undefined {
  const start = raw.indexOf('[');
  if (start < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw.slice(start));
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export interface Copy {
  from?: string;
  chown?: string;
  sources: string[];
  destination: string;
  line: number;
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map((instruction) => {
      const words = instruction.raw.split(/\s+/);
      const flags = Object.fromEntries(
        words
          .filter((word) => word.startsWith('--'))
          .map((word) => {
            const [name, value = ''] = word.slice(2).split('=', 2);
            return [name, value];
          }),
      );
      const paths = words.filter((word) => !word.startsWith('--'));
      return {
        from: flags.from,
        chown: flags.chown,
        sources: paths.slice(0, -1),
        destination: paths[paths.length - 1],
        line: instruction.line,
      };
    });
}

/** ENV in both forms: `ENV A=1 B=2` and `ENV A 1`. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of stage.instructions.filter((item) => item.keyword === 'ENV')) {
    if (!instruction.raw.includes('=')) {
      const [name, ...value] = instruction.raw.split(/\s+/);
      env[name] = value.join(' ');
      continue;
    }
    for (const pair of instruction.raw.match(/(\w+)=("[^"]*"|\S*)/g) ?? []) {
      const [name, value] = pair.split(/=(.*)/s, 2);
      env[name] = value.replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/**
 * Whether `.dockerignore` keeps `path` (relative to the context) out of the build context: the last
 * matching pattern wins, `!` re-includes, a pattern matches the path or any directory above it, and
 * `*`, `?` and `**` behave as in Docker (Go's filepath.Match plus `**`).
 */
export function isIgnored(path: string, patterns: string[]): boolean {
  let ignored = false;
  for (const line of patterns) {
    const pattern = line.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    const negated = pattern.startsWith('!');
    const body = (negated ? pattern.slice(1) : pattern).replace(/^\/+|\/+$/g, '');
    const regex = new RegExp(
      `^${body
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*')}(/.*)?$`,
    );
    if (regex.test(path)) ignored = !negated;
  }
  return ignored;
}
