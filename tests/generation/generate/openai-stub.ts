import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for an OpenAI-compatible server (vLLM, llama.cpp, Ollama /v1, OpenAI) on 127.0.0.1, port 0.
 * Every request is checked against the published chat-completions shape; a request that is not is answered 400
 * and recorded in `problems`. Answers come from `script`: per mask label, one answer per attempt, where an answer
 * is text, `{ status }` (an HTTP error) or `'hang'` (no answer, for timeouts).
 */
export type StubAnswer = string | { status: number } | 'hang';

export interface OpenAiStub {
  url: string;
  model: string;
  problems: string[];
  /** Attempts seen per label. */
  attempts: Map<string, number>;
  requests: { prompt: string; image: Buffer; authorization?: string }[];
  close(): Promise<void>;
}

export async function startOpenAiStub(options: { model: string; script: Record<string, StubAnswer[]>; labels: string[] }): Promise<OpenAiStub> {
  const problems: string[] = [];
  const attempts = new Map<string, number>();
  const requests: OpenAiStub['requests'] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.method === 'GET' && req.url === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: options.model, object: 'model', owned_by: 'stub' }] });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return json(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
    const problem = checkChatRequest(req, body, options.model);
    if (typeof problem === 'string') {
      problems.push(problem);
      return json(res, 400, { error: { message: problem } });
    }
    requests.push({ prompt: problem.prompt, image: problem.image, authorization: req.headers.authorization });
    // The label is the object the prompt names ("... to the {mask} ..." in both of the authors' prompt types).
    const label = options.labels.find((l) => problem.prompt.includes(`the ${l} `));
    if (!label) return json(res, 400, { error: { message: 'no known label in the prompt' } });
    const n = (attempts.get(label) ?? 0) + 1;
    attempts.set(label, n);
    const answers = options.script[label];
    const answer = answers[Math.min(n, answers.length) - 1];
    if (answer === 'hang') return void hanging.push(res);
    if (typeof answer === 'object') return json(res, answer.status, { error: { message: 'stub failure' } });
    json(res, 200, {
      id: `chatcmpl-${n}`,
      object: 'chat.completion',
      created: 0,
      model: options.model,
      choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    model: options.model,
    problems,
    attempts,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The chat-completions request shape (platform.openai.com/docs/api-reference/chat/create), with a vision message. */
function checkChatRequest(req: IncomingMessage, body: string, model: string): string | { prompt: string; image: Buffer } {
  if (!String(req.headers['content-type']).startsWith('application/json')) return 'content-type is not application/json';
  let request: any;
  try {
    request = JSON.parse(body);
  } catch {
    return 'body is not JSON';
  }
  if (request.model !== model) return `model is ${request.model}, not ${model}`;
  if (!Array.isArray(request.messages) || request.messages.length !== 1) return 'messages must hold one message';
  const [message] = request.messages;
  if (message.role !== 'user' || !Array.isArray(message.content)) return 'the message must be a user message with content parts';
  const text = message.content.find((p: any) => p.type === 'text');
  const image = message.content.find((p: any) => p.type === 'image_url');
  if (typeof text?.text !== 'string' || text.text.length === 0) return 'no text part';
  const match = /^data:image\/(png|jpeg);base64,([A-Za-z0-9+/=]+)$/.exec(image?.image_url?.url ?? '');
  if (!match) return 'the image part is not a base64 data URL';
  for (const key of ['temperature', 'top_p', 'max_tokens']) if (typeof request[key] !== 'number') return `${key} is not a number`;
  if (request.seed !== undefined && !Number.isInteger(request.seed)) return 'seed is not an integer';
  return { prompt: text.text, image: Buffer.from(match[2], 'base64') };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
