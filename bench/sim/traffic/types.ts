/** A request as the simulator replays it. Times in seconds from the start of the trace. */
export interface TraceRequest {
  arrival: number;
  promptTokens: number;
  outputTokens: number;
  /** Prefix-block hashes (512-token blocks, Mooncake semantics); empty when the format has none. */
  hashIds: number[];
}

export interface Trace {
  name: string;
  requests: TraceRequest[];
  /** Span replayed, seconds (≥ last arrival). */
  durationS: number;
}

/** A bad input file: every message names the file and line. */
export class TraceError extends Error {}

/** At most this many bad lines are listed before the parser gives up. */
export const MAX_REPORTED = 10;

export function fail(file: string, problems: string[]): never {
  const more = problems.length > MAX_REPORTED ? `\n  … and more` : '';
  throw new TraceError(
    `${file}: ${problems.length === 1 ? 'bad row' : 'bad rows'}:\n ` +
      ` ${problems.slice(0, MAX_REPORTED).join('\n  ')}${more}`,
  );
}

export function isCount(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= 10_000_000;
}
