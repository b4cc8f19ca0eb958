/**
 * A real HTTP receiver on loopback for webhook suites: records every request
 * (path, headers, raw body) and answers with whatever status the test chose
 * for that path at that moment (default 204).
 */
import { type Server, createServer } from 'node:http';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly receivedAt: number;
}

export interface WebhookReceiver {
  readonly baseUrl: string;
  readonly received: ReceivedRequest[];
  /** The status `path` answers from now on. */
  answer(path: string, status: number): void;
  /** Received requests for `path`. */
  at(path: string): ReceivedRequest[];
  /** Polls until `predicate` holds for the requests at `path` (generous deadline: a loaded machine is slow). */
  waitFor(path: string, predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const statuses = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const path = request.url ?? '/';
      let body: unknown = null;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = null;
      }
      received.push({ path, headers: request.headers as Record<string, string | undefined>, rawBody, body, receivedAt: Date.now() });
      response.statusCode = statuses.get(path) ?? 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the receiver did not bind a TCP port');
  const at = (path: string) => received.filter((request) => request.path === path);
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    received,
    answer: (path, status) => void statuses.set(path, status),
    at,
    async waitFor(path, predicate, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const requests = at(path);
        if (predicate(requests)) return requests;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the receiver's ${path} never saw what the test waited for (${at(path).length} requests)`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
