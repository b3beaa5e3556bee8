/**
 * What an injected fault looks like on the wire: which kinds apply to a call, to a batch as a whole
 * and to each call of a batch, the broken HTTP answers (error pages, reset, empty, cut-off bodies)
 * and the error_response of an injected gateway error.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultKind, FaultRule } from './faults';
import {
  TBK_THROTTLE_SUB_MSG,
  newRequestId,
  serializeBody,
  successBody,
  topError,
  type TopErrorFields,
} from './gateway';
import { htmlPage } from './request';

/** How the server writes an answer (gzipped when it may) and an error_response (counted in its stats). */
export interface Responder {
  send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, text: string): void;
  sendError(req: IncomingMessage, res: ServerResponse, error: TopErrorFields): void;
}

/** What a /router/rest call can get instead of its answer. */
export const TRANSPORT_KINDS: ReadonlySet<FaultKind> = new Set([
  'http500',
  'http502',
  'reset',
  'malformed',
  'truncated',
  'empty',
  'throttle',
  'isp',
  'tbk-throttle',
  'top-error',
]);
/** A batch request gets these as a whole; the error_response kinds apply to each of its calls. */
export const HTTP_KINDS: ReadonlySet<FaultKind> = new Set([
  'http500',
  'http502',
  'reset',
  'malformed',
  'truncated',
  'empty',
]);
export const ERROR_KINDS: ReadonlySet<FaultKind> = new Set(['throttle', 'isp', 'tbk-throttle', 'top-error']);
export const LATENCY_KIND: ReadonlySet<FaultKind> = new Set(['latency']);
export const BUSINESS_KIND: ReadonlySet<FaultKind> = new Set(['business']);

/** Answers an injected transport or gateway fault. */
export function answerFault(
  req: IncomingMessage,
  res: ServerResponse,
  rule: FaultRule,
  method: string,
  { send, sendError }: Responder,
): void {
  switch (rule.kind) {
    case 'http500':
      send(req, res, 500, 'text/html', htmlPage(500, 'Internal Server Error'));
      return;
    case 'http502':
      send(req, res, 502, 'text/html', htmlPage(502, 'Bad Gateway'));
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'empty':
      res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': 0 });
      res.end();
      return;
    case 'malformed':
    case 'truncated': {
      const full = serializeBody(successBody(method, { result: { note: 'x'.repeat(64) } }, false, newRequestId()));
      const half = full.slice(0, Math.floor(full.length / 2));
      if (rule.kind === 'malformed') {
        send(req, res, 200, 'application/json;charset=UTF-8', half);
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'application/json;charset=UTF-8',
        'Content-Length': Buffer.byteLength(full),
      });
      res.write(half, () => req.socket.destroy());
      return;
    }
    case 'throttle':
    case 'isp':
    case 'tbk-throttle':
    case 'top-error':
      sendError(req, res, faultError(rule));
      return;
    default:
      throw new Error(`fault kind ${rule.kind} is not a transport fault`);
  }
}

/** The error_response of an injected gateway error. */
export function faultError(rule: FaultRule): TopErrorFields {
  switch (rule.kind) {
    case 'throttle':
      return topError(
        7,
        undefined,
        rule.subCode ?? 'accesscontrol.limited-by-app-access-count',
        rule.subMsg ?? `This ban will last for ${rule.banSeconds ?? 1} more seconds`,
      );
    case 'isp':
      return topError(
        15,
        undefined,
        rule.subCode ?? 'isp.tbkapi-service-unavailable',
        rule.subMsg ?? '淘宝客API服务不可用',
      );
    case 'tbk-throttle':
      return topError(15, undefined, rule.subCode ?? '9100', rule.subMsg ?? TBK_THROTTLE_SUB_MSG);
    case 'top-error':
      return topError(rule.code ?? 15, rule.msg, rule.subCode, rule.subMsg);
    default:
      throw new Error(`fault kind ${rule.kind} is not a gateway error`);
  }
}
