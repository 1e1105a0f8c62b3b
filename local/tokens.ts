/**
 * Prompt → token count and prefix block hashes, without a tokenizer. The llm-d router's default token
 * producer does the same: the `estimate` backend counts ≈4 bytes per token, and the approximate prefix
 * producer chains a hash per block so a block's hash stands for itself and everything before it
 * (llm-d.md §2 "Approximate"). Blocks are HASH_BLOCK_TOKENS long, the engine model's prefix-cache unit,
 * so the gateway's index and the bundled engine's cache agree on what a shared prefix is.
 */
import { createHash } from 'node:crypto';
import { HASH_BLOCK_TOKENS } from '../model/kv.js';

export const BYTES_PER_TOKEN = 4;

export interface PromptShape {
  promptTokens: number;
  hashIds: number[];
}

/** Text of a completions prompt or chat messages (role tags included, as a chat template would add them). */
export function promptText(body: Record<string, unknown>): string | undefined {
  if (typeof body.prompt === 'string') return body.prompt;
  if (Array.isArray(body.prompt) && body.prompt.every((p) => typeof p === 'string'))
    return (body.prompt as string[]).join('\n');
  if (Array.isArray(body.messages)) {
    const parts: string[] = [];
    for (const m of body.messages as unknown[]) {
      if (typeof m !== 'object' || m === null) return undefined;
      const { role, content } = m as { role?: unknown; content?: unknown };
      if (typeof role !== 'string') return undefined;
      parts.push(`<|${role}|>${contentText(content)}`);
    }
    return parts.join('\n');
  }
  return undefined;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  // OpenAI content parts: [{type: 'text', text}, …]; non-text parts count nothing here.
  if (Array.isArray(content))
    return content
      .map((p) =>
        typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string'
          ? (p as { text: string }).text
          : '',
      )
      .join('');
  return '';
}

/** Token estimate and chained block hashes (full blocks only: a partial block is never a cache hit). */
export function promptShape(text: string): PromptShape {
  const bytes = Buffer.from(text, 'utf8');
  const promptTokens = Math.max(1, Math.ceil(bytes.length / BYTES_PER_TOKEN));
  const blockBytes = HASH_BLOCK_TOKENS * BYTES_PER_TOKEN;
  const hashIds: number[] = [];
  let prev = Buffer.alloc(8);
  for (let off = 0; off + blockBytes <= bytes.length; off += blockBytes) {
    const h = createHash('sha256')
      .update(prev)
      .update(bytes.subarray(off, off + blockBytes))
      .digest();
    prev = h.subarray(0, 8);
    // 48 bits fit a JS number exactly; collisions at local scale are negligible.
    hashIds.push(h.readUIntBE(0, 6));
  }
  return { promptTokens, hashIds };
}
