/**
 * The one place requests to the API are made: JSON in and out, problem+json
 * turned into {@link GatehouseError}, network failures left as they are.
 */
import { GatehouseError, type Problem } from './errors.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface ApiRequest {
  readonly method?: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly accessToken?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export class ApiTransport {
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: FetchLike,
  ) {}

  url(path: string, query?: ApiRequest['query']): string {
    const url = new URL(path.replace(/^\/+/, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    return url.href;
  }

  /** Sends a request and returns the parsed JSON body (undefined for 202/204 without one). */
  async json<T>(path: string, request: ApiRequest = {}): Promise<T> {
    const response = await this.send(path, request);
    if (!response.ok) throw await problemOf(response);
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  send(path: string, request: ApiRequest = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...request.headers };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.accessToken) headers['authorization'] = `Bearer ${request.accessToken}`;
    return this.fetchImpl(this.url(path, request.query), {
      method: request.method ?? (request.body === undefined ? 'GET' : 'POST'),
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      // Bearer tokens only: the API sets no cookies, and a page never needs to send its own.
      credentials: 'omit',
    });
  }
}

/** The problem a failed response carries (or a generic one when the body is not problem+json). */
export async function problemOf(response: Response): Promise<GatehouseError> {
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
  let problem: Problem = { status: response.status, code: `http_${response.status}`, title: response.statusText };
  try {
    const body = (await response.json()) as Partial<Problem>;
    if (body && typeof body.code === 'string') problem = { ...body, status: response.status, code: body.code };
  } catch {
    // Not JSON (a proxy's error page): the generic problem stands.
  }
  return new GatehouseError(problem, Number.isFinite(retryAfter) ? retryAfter : undefined);
}
