/**
 * Reads docs/upstream-contract.md: the pinned versions and one row per upstream setting we emit or read. The
 * contract tests use these rows to pin each setting against what the project generates, and to find settings
 * the project emits that have no row.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONTRACT_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'docs',
  'upstream-contract.md',
);

export const KINDS = [
  'flag',
  'env',
  'label',
  'annotation',
  'port',
  'config-key',
  'plugin',
  'plugin-parameter',
  'metric',
  'image',
  'api-field',
  'header',
] as const;
export type ContractKind = (typeof KINDS)[number];

export interface PinnedProject {
  project: string;
  repository: string;
  tag: string;
}

export interface ContractRow {
  /** The `## project — part` heading the row sits under. */
  section: string;
  /** The project named before the dash in the heading; one of the pinned projects. */
  project: string;
  setting: string;
  kind: string;
  we: string;
  value: string;
  upstreamPath: string;
  tag: string;
  note: string;
  /** 1-based line in the file, for messages. */
  line: number;
}

export interface Contract {
  pinned: PinnedProject[];
  rows: ContractRow[];
}

/** Cells of a Markdown table row, with surrounding backticks removed from single-token cells. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => {
    const t = c.trim().replace(/\\\|/g, '|');
    return /^`[^`]*`$/.test(t) ? t.slice(1, -1) : t;
  });
}

const isSeparator = (line: string): boolean => /^\|[\s:|-]+\|$/.test(line.trim());

function toRow(section: string, c: string[], line: number): ContractRow {
  const [setting, kind, we, value, upstreamPath, tag, note] = c.map((x) => x ?? '');
  const project = section.split(' — ')[0]?.trim() ?? '';
  const s = (v: string | undefined): string => v ?? '';
  return {
    section,
    project,
    setting: s(setting),
    kind: s(kind),
    we: s(we),
    value: s(value),
    upstreamPath: s(upstreamPath),
    tag: s(tag),
    note: s(note),
    line,
  };
}

export function parseContract(text: string): Contract {
  const pinned: PinnedProject[] = [];
  const rows: ContractRow[] = [];
  let section = '';
  let header: string[] | undefined;
  text.split('\n').forEach((line, i) => {
    const heading = /^## (.+)$/.exec(line);
    if (heading) {
      section = (heading[1] ?? '').trim();
      header = undefined;
      return;
    }
    if (!line.trim().startsWith('|')) {
      header = undefined;
      return;
    }
    if (isSeparator(line)) return;
    const c = cells(line);
    if (!header) {
      header = c.map((h) => h.toLowerCase());
      return;
    }
    if (section === 'Pinned versions') {
      pinned.push({ project: c[0] ?? '', repository: c[1] ?? '', tag: c[2] ?? '' });
      return;
    }
    if (header[0] !== 'setting') return;
    rows.push(toRow(section, c, i + 1));
  });
  return { pinned, rows };
}

export function loadContract(): Contract {
  return parseContract(readFileSync(CONTRACT_FILE, 'utf8'));
}
