import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TopClient, type TopClientOptions } from '../../lib/top/client';

export interface ReceivedRequest {
  headers: IncomingMessage['headers'];
  body: Buffer;
  params: Record<string, string>;
}

/** What the server does with the n-th request: a handler writing the answer itself. */
export type Step = (req: IncomingMessage, res: ServerResponse, received: ReceivedRequest) => void;

export const json =
  (body: unknown, status = 200): Step =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

/** A loopback HTTP server answering each request with the next scripted step (the last repeats). */
export class ScriptedServer {
  readonly received: ReceivedRequest[] = [];
  private steps: Step[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const params: Record<string, string> = {};
        if (String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
          for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = v;
        }
        const received = { headers: req.headers, body, params };
        this.received.push(received);
        const step = this.steps.length > 1 ? this.steps.shift()! : this.steps[0];
        if (!step) {
          res.writeHead(500);
          res.end('no step');
          return;
        }
        step(req, res, received);
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  script(...steps: Step[]): this {
    this.steps = steps;
    this.received.length = 0;
    return this;
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/router/rest`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/**
 * The hooks of a client suite against a scripted gateway: one server for the suite, and make() for a
 * TopClient to it (with `defaults`), closed after each test. make() is for use inside tests.
 */
export function useScriptedClient(defaults: Omit<TopClientOptions, 'endpoint'>): {
  server: ScriptedServer;
  make(extra?: Partial<TopClientOptions>): TopClient;
  /** the client make() made last */
  current(): TopClient;
  endpoint(): string;
} {
  const server = new ScriptedServer();
  let endpoint = '';
  let client: TopClient | undefined;
  before(async function () {
    endpoint = await server.listen();
  });
  afterEach(async function () {
    await client?.close();
    client = undefined;
  });
  after(async function () {
    await server.close();
  });
  return {
    server,
    make: (extra = {}) => (client = new TopClient({ ...defaults, endpoint, ...extra })),
    current: () => {
      if (!client) throw new Error('no client made yet');
      return client;
    },
    endpoint: () => endpoint,
  };
}
