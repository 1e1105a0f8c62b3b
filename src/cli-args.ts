/**
 * A small typed flag parser: `--name value`, `--name=value`, short aliases, booleans. Every problem is a
 * UsageError with a one-line message; the CLI prints it and exits 2.
 */
export class UsageError extends Error {}

export interface FlagSpec {
  name: string;
  alias?: string;
  type: 'string' | 'int' | 'bool';
  help: string;
  default?: string | number | boolean;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export type FlagValues = Record<string, string | number | boolean | undefined>;

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpec[];
}

function coerce(spec: FlagSpec, raw: string): string | number {
  if (spec.type === 'int') {
    if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${spec.name}: "${raw}" is not an integer`);
    const n = Number(raw);
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
      throw new UsageError(`--${spec.name}: ${n} is out of range [${spec.min ?? '-∞'}, ${spec.max ?? '∞'}]`);
    }
    return n;
  }
  if (spec.choices && !spec.choices.includes(raw))
    throw new UsageError(`--${spec.name}: "${raw}" is not one of ${spec.choices.join(', ')}`);
  return raw;
}

/** Parse argv (after the subcommand). Returns the values and whether help was asked for. */
export function parseFlags(
  argv: string[],
  command: CommandSpec,
): { values: FlagValues; help: boolean; rest: string[] } {
  const values: FlagValues = Object.fromEntries(command.flags.map((f) => [f.name, f.default]));
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { values, help: true, rest };
    if (!arg.startsWith('-') || arg === '-') {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = command.flags.find((f) => `--${f.name}` === key || (f.alias && `-${f.alias}` === key));
    if (!spec) throw new UsageError(`unknown flag ${key} (see kserve-llmd ${command.name} --help)`);
    if (spec.type === 'bool') {
      if (eq >= 0 && !['true', 'false'].includes(arg.slice(eq + 1)))
        throw new UsageError(`--${spec.name}: expects true or false`);
      values[spec.name] = eq >= 0 ? arg.slice(eq + 1) === 'true' : true;
      continue;
    }
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`--${spec.name}: needs a value`);
    raw = raw.trim();
    values[spec.name] = coerce(spec, raw);
  }
  return { values, help: false, rest };
}

export function formatHelp(command: CommandSpec): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary, '', 'Flags:'];
  for (const f of command.flags) {
    const name =
      `${f.alias ? `-${f.alias}, ` : '    '}--${f.name}` +
      `${f.type === 'bool' ? '' : ` <${f.type === 'int' ? 'n' : 'value'}>`}`;
    const extra = [
      f.choices ? `one of ${f.choices.join(', ')}` : '',
      f.default !== undefined ? `default ${String(f.default)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    lines.push(`  ${name.padEnd(34)} ${f.help}${extra ? ` (${extra})` : ''}`);
  }
  lines.push(`  ${'-h, --help'.padEnd(34)} show this help`);
  return lines.join('\n');
}
