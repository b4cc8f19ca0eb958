/**
 * A real HTTP hook endpoint on loopback for the synchronous-hook suites: each
 * path answers as the test says (JSON, hang, error, garbage...), and every
 * request is recorded with its headers and raw body, so signatures can be
 * checked by the suite's own, independent implementation.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedHookCall {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type HookBehaviour = (call: RecordedHookCall, response: ServerResponse) => void;

export interface HookServer {
  readonly baseUrl: string;
  readonly calls: RecordedHookCall[];
  /** What `path` does from now on (unset paths answer 404). */
  on(path: string, behaviour: HookBehaviour): void;
  stop(): Promise<void>;
}

export const answerJson =
  (value: unknown, delayMs = 0): HookBehaviour =>
  (_call, response) => {
    const send = () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  };

/** Never answers (the socket stays open until the server stops). */
export const hang: HookBehaviour = () => undefined;

export async function startHookServer(): Promise<HookServer> {
  const behaviours = new Map<string, HookBehaviour>();
  const calls: RecordedHookCall[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const call = { path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      calls.push(call);
      const behaviour = behaviours.get(call.path);
      if (behaviour) behaviour(call, response);
      else response.writeHead(404).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    on: (path, behaviour) => void behaviours.set(path, behaviour),
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
