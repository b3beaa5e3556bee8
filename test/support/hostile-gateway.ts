/**
 * A hostile TOP gateway, run in a child process (fork) so that its own buffers do not count in the
 * memory the test measures in the client's process. The parent sends the next answer's scenario
 * over IPC ({ type: 'answer', scenario }) and waits for { type: 'ready' }; the server then answers
 * every request with it: any size, any content encoding (or a corrupt one), honest or lying
 * framing, truncated, endless, or trickled a few bytes at a time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, constants as zlibConstants, deflateSync, gzipSync } from 'node:zlib';

export type HostileEncoding = 'identity' | 'gzip' | 'deflate' | 'br' | 'gzip-corrupt' | 'gzip-label-only';
export type HostileFraming = 'length' | 'chunked' | 'close' | 'endless';

export interface HostileScenario {
  status: number;
  /** bytes of the body before any encoding: a JSON answer padded to this size */
  size: number;
  encoding: HostileEncoding;
  framing: HostileFraming;
  /** send only this share of the wire bytes (0..1), then `afterTruncate` */
  truncateAt?: number;
  afterTruncate?: 'close' | 'hang';
  /** wait before the status line */
  headerDelayMs: number;
  /** bytes per write, and the pause between writes (0: as fast as the socket takes them) */
  chunkBytes: number;
  delayMs: number;
}

export type HostileMessage = { type: 'listening'; url: string } | { type: 'ready' };

const PREFIX = '{"tbk_item_info_get_response":{"results":{"n_tbk_item":[]},"pad":"';
const SUFFIX = '"}}';
/** the size of the shortest valid answer paddedAnswer makes */
export const SMALLEST_ANSWER = PREFIX.length + SUFFIX.length;

/** A valid TOP answer of exactly `size` bytes when it can be (the shortest one otherwise), padded with 'a'. */
export function paddedAnswer(size: number): Buffer {
  const pad = Math.max(0, size - PREFIX.length - SUFFIX.length);
  if (size < PREFIX.length + SUFFIX.length) return Buffer.from(`${PREFIX}${SUFFIX}`.slice(0, size));
  const body = Buffer.alloc(PREFIX.length + pad + SUFFIX.length, 'a');
  body.write(PREFIX, 0);
  body.write(SUFFIX, PREFIX.length + pad);
  return body;
}

function wireBytes(scenario: HostileScenario): Buffer {
  const body = paddedAnswer(scenario.size);
  switch (scenario.encoding) {
    case 'identity':
    case 'gzip-label-only':
      return body;
    case 'gzip':
      return gzipSync(body, { level: 1 });
    case 'deflate':
      return deflateSync(body, { level: 1 });
    case 'br':
      return brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 1 } });
    case 'gzip-corrupt': {
      const gz = gzipSync(body, { level: 1 });
      for (let i = 10; i < gz.length; i += 7) gz[i] = gz[i]! ^ 0x5a;
      return gz;
    }
  }
}

function contentEncoding(encoding: HostileEncoding): string | undefined {
  if (encoding === 'identity') return undefined;
  if (encoding === 'gzip-corrupt' || encoding === 'gzip-label-only') return 'gzip';
  return encoding;
}

function answer(scenario: HostileScenario, res: ServerResponse): void {
  const timers = new Set<NodeJS.Timeout>();
  let gone = false;
  res.on('close', () => {
    gone = true;
    for (const timer of timers) clearTimeout(timer);
  });
  const later = (ms: number, run: () => void): void => {
    if (gone) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!gone) run();
    }, ms);
    timers.add(timer);
  };

  const endless = scenario.framing === 'endless';
  const wire = endless ? Buffer.alloc(0) : wireBytes(scenario);
  const limit = scenario.truncateAt === undefined ? wire.length : Math.floor(wire.length * scenario.truncateAt);
  const headers: Record<string, string | number> = { 'content-type': 'application/json;charset=UTF-8' };
  const encoding = contentEncoding(scenario.encoding);
  if (encoding && !endless) headers['content-encoding'] = encoding;
  if (scenario.framing === 'length') headers['content-length'] = wire.length;
  if (scenario.framing === 'close') headers.connection = 'close';

  later(scenario.headerDelayMs, () => {
    if (scenario.framing === 'close') {
      // the body ends when the connection does: no length, no chunks
      res.useChunkedEncodingByDefault = false;
      res.shouldKeepAlive = false;
    }
    res.writeHead(scenario.status, headers);
    let sent = 0;
    const endlessChunk = Buffer.alloc(Math.max(1, scenario.chunkBytes), 0x20);
    const next = (): void => {
      if (gone) return;
      if (!endless && sent >= limit) {
        if (limit < wire.length) {
          if (scenario.afterTruncate === 'hang') return; // the client's timeout must end it
          res.socket?.destroy();
          return;
        }
        res.end();
        return;
      }
      const piece = endless ? endlessChunk : wire.subarray(sent, Math.min(limit, sent + scenario.chunkBytes));
      sent += piece.length;
      const flowing = res.write(piece);
      if (scenario.delayMs > 0) later(scenario.delayMs, next);
      else if (flowing) setImmediate(next);
      else res.once('drain', next);
    };
    next();
  });
}

const MiB = 1024 * 1024;

/** gzip members concatenated: `members` × 16 MiB of zeros in about members × 16 KB (a 1 GiB bomb in about 1 MB). */
export function gzipBomb(members: number): Buffer {
  const member = gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: members }, () => member));
}

/** A 200 JSON answer that never ends: 64 KiB of spaces as fast as the client reads them. */
export function writeEndlessBody(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

if (require.main === module) {
  let scenario: HostileScenario | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      if (!scenario) {
        res.writeHead(500);
        res.end();
        return;
      }
      answer(scenario, res);
    });
  });
  process.on('message', (message: { type: string; scenario?: HostileScenario }) => {
    if (message.type === 'answer') {
      scenario = message.scenario;
      process.send!({ type: 'ready' } satisfies HostileMessage);
    } else if (message.type === 'stop') {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as AddressInfo).port;
    process.send!({ type: 'listening', url: `http://127.0.0.1:${port}/router/rest` } satisfies HostileMessage);
  });
}
