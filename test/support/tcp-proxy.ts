/**
 * A loopback TCP proxy in front of a real server (the Cognito emulator), for
 * fault tests: it forwards, or — after `hang()` — accepts connections and reads
 * requests but never forwards nor answers them, on new and already open
 * connections alike. That is a hung endpoint as a client sees it: the TCP
 * connection succeeds, the response never comes.
 */
import { type Socket, connect, createServer } from 'node:net';

export interface TcpProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  hang(): void;
  forward(): void;
  /** Requests (chunks of bytes) swallowed while hung: proof that clients did reach it. */
  swallowed(): number;
  stop(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let hung = false;
  let swallowed = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      if (hung) swallowed += 1;
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (!hung) client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy did not bind a TCP port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    hang: () => {
      hung = true;
    },
    forward: () => {
      hung = false;
    },
    swallowed: () => swallowed,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
