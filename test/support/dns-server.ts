/**
 * A real DNS server on loopback (UDP, the `dns2` package) whose zone the test
 * controls: the API's resolver (node:dns, c-ares) is pointed at it with
 * `DNS_RESOLVERS`, so domain verification is exercised over the wire, not
 * through a stub of the resolver.
 *
 * Unknown names answer NXDOMAIN; a name set with no TXT values exists but has
 * no TXT record (NOERROR, no answers); a "silent" name gets no answer at all,
 * which is what a resolver timeout looks like.
 */
import { Packet, createServer } from 'dns2';

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for DNS_RESOLVERS. */
  readonly address: string;
  /** Publishes exactly these TXT values at `name` (an empty list: the name exists without TXT). */
  setTxt(name: string, values: readonly string[]): void;
  /** Never answers queries for `name`. */
  silence(name: string): void;
  /** Queries seen, by name (lower-case), for assertions that a lookup really happened. */
  queries(name: string): number;
  stop(): Promise<void>;
}

const normalise = (name: string) => name.toLowerCase().replace(/\.$/, '');

export async function startDnsServer(): Promise<TestDnsServer> {
  const zone = new Map<string, readonly string[]>();
  const silent = new Set<string>();
  const seen = new Map<string, number>();

  const server = createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const question = request.questions[0];
      const name = normalise(question?.name ?? '');
      seen.set(name, (seen.get(name) ?? 0) + 1);
      if (silent.has(name)) return;
      const values = zone.get(name);
      if (!values) {
        response.header.rcode = Packet.RCODE.NXDOMAIN;
      } else if (question?.type === Packet.TYPE.TXT) {
        for (const value of values) {
          // dns2 encodes plain records when it writes the response (its README's way); its types want a parsed Resource.
          const record = { name: question.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 60, data: value };
          response.answers.push(record as unknown as (typeof response.answers)[number]);
        }
      }
      send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const port = addresses.udp?.port;
  if (!port) throw new Error('the test DNS server did not bind a UDP port');

  return {
    address: `127.0.0.1:${port}`,
    setTxt: (name, values) => {
      silent.delete(normalise(name));
      zone.set(normalise(name), values);
    },
    silence: (name) => silent.add(normalise(name)),
    queries: (name) => seen.get(normalise(name)) ?? 0,
    stop: () => server.close(),
  };
}
