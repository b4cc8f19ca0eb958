/**
 * A loopback stand-in for AWS Lambda's Invoke API, so the Cognito emulator can
 * run a trigger handler of infra/lambdas: cognito-local invokes triggers with
 * the AWS SDK v2 Lambda client (`POST /2015-03-31/functions/<name>/invocations`,
 * the event as the JSON body; services/lambda.js). A handler's result is the
 * 200 body; a handler that throws is answered as Lambda answers an unhandled
 * error (`X-Amz-Function-Error: Unhandled`, `{"errorMessage": …}`), which the
 * emulator turns into the refusal Cognito gives.
 */
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TriggerHandler = (event: Record<string, unknown>) => Promise<unknown>;

export interface LambdaInvokeServer {
  /** What to give the emulator as `LambdaClient.endpoint`. */
  readonly endpoint: string;
  /** Every invocation: the function name and whether the handler threw. */
  readonly invocations: { readonly functionName: string; readonly failed: boolean }[];
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

export async function startLambdaInvokeServer(handlers: Readonly<Record<string, TriggerHandler>>): Promise<LambdaInvokeServer> {
  const invocations: { functionName: string; failed: boolean }[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const match = INVOKE_PATH.exec(request.url ?? '');
      const handler = match ? handlers[decodeURIComponent(match[1]!)] : undefined;
      if (request.method !== 'POST' || !match || !handler) {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Function not found' }));
        return;
      }
      const functionName = decodeURIComponent(match[1]!);
      try {
        const result = await handler(JSON.parse(await readBody(request)) as Record<string, unknown>);
        invocations.push({ functionName, failed: false });
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      } catch (error) {
        invocations.push({ functionName, failed: true });
        const errorMessage = error instanceof Error ? error.message : String(error);
        response.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' }).end(JSON.stringify({ errorMessage }));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
