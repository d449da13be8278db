/** A local HTTP stub (127.0.0.1, port 0) for the inpainting backends' tests: records requests, closes cleanly. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type StubHandler = (req: StubRequest, res: ServerResponse) => unknown;

export interface Stub {
  url: string;
  requests: StubRequest[];
  /** Shape violations found by the handler; a test asserts this stays empty. */
  problems: string[];
  close(): Promise<void>;
}

export async function startStub(handler: (stub: Stub) => StubHandler): Promise<Stub> {
  const stub: Stub = { url: '', requests: [], problems: [], close: async () => {} };
  const handle = handler(stub);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const request: StubRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      stub.requests.push(request);
      Promise.resolve(handle(request, res)).catch((error) => {
        stub.problems.push(`handler threw: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return stub;
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

/** Checks that `value[key]` has the JSON type given; records a problem otherwise. */
export function expectField(stub: Stub, where: string, value: Record<string, unknown>, key: string, type: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array'): void {
  const v = value[key];
  const ok = type === 'array' ? Array.isArray(v)
    : type === 'integer' ? Number.isInteger(v)
    : type === 'object' ? typeof v === 'object' && v !== null && !Array.isArray(v)
    : typeof v === type;
  if (!ok) stub.problems.push(`${where}: '${key}' should be ${type}, got ${JSON.stringify(v)?.slice(0, 60)}`);
}

/** multipart/form-data parts of a request body: name → { filename, data }. */
export function multipart(req: StubRequest): Map<string, { filename?: string; data: Buffer }> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers['content-type'] ?? '');
  const parts = new Map<string, { filename?: string; data: Buffer }>();
  if (!boundary) return parts;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = req.body.indexOf(delimiter);
  while (at >= 0) {
    const next = req.body.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const part = req.body.subarray(at + delimiter.length + 2, next - 2); // skip CRLF after delimiter and before next
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString();
    const name = /name="([^"]+)"/.exec(head)?.[1];
    if (name) parts.set(name, { filename: /filename="([^"]+)"/.exec(head)?.[1], data: part.subarray(split + 4) });
    at = next;
  }
  return parts;
}
