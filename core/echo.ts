/**
 * User input echoed in denials, warnings and log lines, bounded. The API server validates names, label and
 * annotation sizes only after mutating admission, so a webhook can receive a 1 MB annotation value; echoing it
 * whole put a megabyte into the response, into every log line and into `kubectl`'s terminal (issue 14).
 */

/** Longest user value shown in a message; enough to recognise a typo, never a payload. */
export const ECHO_CHARS = 64;
/** Longest single problem, warning or log message. */
export const MESSAGE_CHARS = 1024;
/** Longest whole denial message (several problems). */
export const DENIAL_CHARS = 4096;

/** `value` as a message shows it: at most `max` characters, and the full length when cut. */
export function echo(value: unknown, max = ECHO_CHARS): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length} characters)`;
}

/** Cut a composed message at `max` characters, saying how much was left out. */
export function clip(text: string, max = MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  const note = `… (${text.length - max} more characters)`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}
