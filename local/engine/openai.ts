/**
 * The OpenAI-compatible request and response shapes of vLLM's API server (vllm/entrypoints/openai/protocol.py),
 * for the bundled engine: parse and validate a completions or chat request; build the JSON answer and the SSE
 * chunks. Pure.
 */
import { HttpError } from '../http.js';
import { promptShape, promptText, type PromptShape } from '../tokens.js';

export type ApiKind = 'completions' | 'chat';

export interface KvTransferParams {
  do_remote_decode?: boolean;
  do_remote_prefill?: boolean;
  remote_engine_id?: string;
  remote_block_ids?: number[];
  remote_host?: string;
  remote_port?: number;
}

export interface Generation extends PromptShape {
  kind: ApiKind;
  model: string;
  maxTokens: number;
  stream: boolean;
  includeUsage: boolean;
  kvTransfer?: KvTransferParams;
}

/** vLLM defaults: completions max_tokens 16 (OpenAI's default); chat has none, so cap what the demo generates. */
const DEFAULT_MAX_TOKENS: Record<ApiKind, number> = { completions: 16, chat: 128 };

/** max_completion_tokens (or the older max_tokens): an integer ≥ 1, or absent (undefined). */
function requestedMaxTokens(body: Record<string, unknown>): number | undefined {
  const raw = body.max_completion_tokens ?? body.max_tokens;
  if (raw === undefined || raw === null) return undefined;
  if (!(Number.isInteger(raw) && (raw as number) >= 1))
    throw new HttpError(400, `max_tokens must be an integer ≥ 1, got ${JSON.stringify(raw)}`);
  return raw as number;
}

export function parseGeneration(
  kind: ApiKind,
  body: Record<string, unknown>,
  served: string,
  maxModelLen: number,
): Generation {
  if (body.model !== undefined && body.model !== served)
    throw new HttpError(404, `The model \`${String(body.model)}\` does not exist.`, 'NotFoundError');
  const text = promptText(body);
  if (text === undefined)
    throw new HttpError(
      400,
      kind === 'chat' ? 'messages must be a list of {role, content}' : 'prompt must be a string or a list of strings',
    );
  const shape = promptShape(text);
  const maxTokens =
    requestedMaxTokens(body) ?? Math.min(DEFAULT_MAX_TOKENS[kind], Math.max(1, maxModelLen - shape.promptTokens));
  if (shape.promptTokens + maxTokens > maxModelLen) {
    throw new HttpError(
      400,
      `This model's maximum context length is ${maxModelLen} ` +
        `tokens. However, you ` +
        `requested ${shape.promptTokens + maxTokens} tokens ` +
        `(${shape.promptTokens} in the messages, ${maxTokens} in the ` +
        `completion).`,
    );
  }
  const opts =
    typeof body.stream_options === 'object' && body.stream_options !== null
      ? (body.stream_options as { include_usage?: unknown })
      : {};
  const g: Generation = {
    kind,
    model: served,
    maxTokens,
    stream: body.stream === true,
    includeUsage: opts.include_usage === true,
    ...shape,
  };
  if (typeof body.kv_transfer_params === 'object' && body.kv_transfer_params !== null)
    g.kvTransfer = body.kv_transfer_params as KvTransferParams;
  return g;
}

const WORDS = [
  'the',
  'model',
  'answers',
  'with',
  'simulated',
  'tokens',
  'at',
  'vLLM',
  'speed',
  'from',
  'kserve-llmd',
  'local',
];

/** The text of token i (deterministic filler: the engine models timing, not language). */
export function tokenText(i: number): string {
  return ` ${WORDS[i % WORDS.length] as string}`;
}

export function usage(g: Generation, completion: number): Record<string, number> {
  return { prompt_tokens: g.promptTokens, completion_tokens: completion, total_tokens: g.promptTokens + completion };
}

/** Non-streaming answer. */
/** Identity of one response: every chunk of a stream repeats it. */
export interface ResponseMeta {
  id: string;
  created: number;
}

export function fullResponse(
  g: Generation,
  m: ResponseMeta,
  text: string,
  completion: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const { id, created } = m;
  const choice =
    g.kind === 'chat'
      ? {
          index: 0,
          message: { role: 'assistant', content: text },
          logprobs: null,
          finish_reason: 'length',
          stop_reason: null,
        }
      : { index: 0, text, logprobs: null, finish_reason: 'length', stop_reason: null };
  return {
    id,
    object: g.kind === 'chat' ? 'chat.completion' : 'text_completion',
    created,
    model: g.model,
    choices: [choice],
    usage: usage(g, completion),
    ...extra,
  };
}

/** One SSE `data:` event carrying `text` (and the finish reason on the last one). */
export function chunk(g: Generation, m: ResponseMeta, text: string, finish: string | null, first = false): string {
  const { id, created } = m;
  const choice =
    g.kind === 'chat'
      ? {
          index: 0,
          delta: first ? { role: 'assistant', content: text } : { content: text },
          logprobs: null,
          finish_reason: finish,
        }
      : { index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null };
  const obj = {
    id,
    object: g.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created,
    model: g.model,
    choices: [choice],
  };
  return `data: ${JSON.stringify(obj)}\n\n`;
}

/** The usage-only chunk vLLM sends when stream_options.include_usage is set. */
export function usageChunk(g: Generation, m: ResponseMeta, completion: number): string {
  const { id, created } = m;
  const obj = {
    id,
    object: g.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created,
    model: g.model,
    choices: [],
    usage: usage(g, completion),
  };
  return `data: ${JSON.stringify(obj)}\n\n`;
}

export const DONE = 'data: [DONE]\n\n';
