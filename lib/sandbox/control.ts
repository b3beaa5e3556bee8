/**
 * The sandbox's control endpoints (/__sandbox/faults, stats, requests, reset): the Sandbox handle
 * over HTTP, for a sandbox in another process. Who may use them is control-guard.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Sandbox } from './api';
import { controlRefusal } from './control-guard';
import type { FaultRule } from './faults';
import { readBody } from './request';

/** Answers one control request through `reply` (a JSON body and its status). */
export async function answerControl(
  req: IncomingMessage,
  url: URL,
  sandbox: Sandbox,
  controlToken: string | undefined,
  reply: (status: number, body: unknown) => void,
): Promise<void> {
  const refusal = controlRefusal(req, sandbox.port, controlToken);
  if (refusal) {
    req.resume();
    return reply(refusal.status, { error: refusal.error });
  }
  const route = `${req.method} ${url.pathname}`;
  try {
    switch (route) {
      case 'POST /__sandbox/faults': {
        const body = JSON.parse((await readBody(req)).toString('utf8') || '[]') as unknown;
        const list = Array.isArray(body) ? body : (body as { rules?: unknown }).rules;
        if (!Array.isArray(list))
          return reply(400, { error: 'send a list of fault rules, or {"rules": [...], "seed": n}' });
        const seed = Array.isArray(body) ? undefined : (body as { seed?: unknown }).seed;
        sandbox.setFaults(list as FaultRule[], typeof seed === 'number' ? seed : undefined);
        return reply(200, { ok: true, rules: sandbox.faults() });
      }
      case 'GET /__sandbox/faults':
        return reply(200, { rules: sandbox.faults() });
      case 'DELETE /__sandbox/faults':
        sandbox.clearFaults();
        return reply(200, { ok: true });
      case 'GET /__sandbox/stats':
        return reply(200, sandbox.stats());
      case 'GET /__sandbox/requests':
        return reply(
          200,
          sandbox.requests().map((r) => ({ ...r, params: maskSession(r.params) })),
        );
      case 'POST /__sandbox/reset':
        sandbox.resetStats();
        sandbox.clearFaults();
        return reply(200, { ok: true });
      default:
        return reply(404, { error: `no control route ${route}` });
    }
  } catch (err) {
    return reply(400, { error: (err as Error).message });
  }
}

function maskSession(params: Record<string, string>): Record<string, string> {
  return 'session' in params ? { ...params, session: '***' } : params;
}
