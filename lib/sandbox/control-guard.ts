/** Who may use the sandbox's control endpoints (/__sandbox/...): this machine, by a loopback name, with no foreign Origin, and the token when one is set. */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** localhost, 127.x.x.x or [::1], with or without a port: what a Host header names when no DNS answer was involved. */
function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  if (!match) return false;
  const name = match[1]!;
  return name === 'localhost' || name === '[::1]' || /^127(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(name);
}

/**
 * Why a control request is refused, or undefined. A page a browser shows can make the browser
 * send requests to 127.0.0.1: through a DNS name rebound to 127.0.0.1 its Host header is that
 * name; as a cross-origin form or fetch it carries the page's Origin. Either reads recorded
 * signatures and parameters or changes faults. Only the sandbox's own origin is not foreign.
 */
export function controlRefusal(
  req: IncomingMessage,
  ownPort: number,
  token: string | undefined,
): { status: number; error: string } | undefined {
  if (!isLoopback(req.socket.remoteAddress)) return { status: 403, error: 'loopback only' };
  if (!isLoopbackHostHeader(req.headers.host))
    return { status: 403, error: 'the Host header must name a loopback address (localhost, 127.0.0.1, [::1])' };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let own: boolean;
    try {
      const url = new URL(origin);
      own = url.protocol === 'http:' && isLoopbackHostHeader(url.host) && Number(url.port || 80) === ownPort;
    } catch {
      own = false;
    }
    if (!own) return { status: 403, error: 'cross-origin requests are refused' };
  }
  if (token !== undefined && !carriesToken(req, token))
    return {
      status: 401,
      error: 'this sandbox requires its control token (Authorization: Bearer <token> or X-Sandbox-Token)',
    };
  return undefined;
}

function carriesToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers['x-sandbox-token'];
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  const given = bearer ?? (typeof header === 'string' ? header : undefined);
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
