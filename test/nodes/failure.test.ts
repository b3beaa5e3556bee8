/**
 * The one rule for failures (nodes/failure.ts): reportFailure(node, mode, msg, err) sends the message
 * with msg.error on the error output, or hands a Catch-able error to done() / node.error(), by errorMode
 * and the node's wiring; each failure is reported exactly once.
 */
import { strict as assert } from 'node:assert';
import type { NodeAPI, NodeMessage } from 'node-red';
import { TopError } from '../../lib/top/errors';
import { messageFields } from '../../lib/top/messages';
import { reportFailure, type WiredNode } from '../../nodes/failure';
import { registeredRuntime, rememberRuntime } from '../../nodes/runtime-text';

interface Recorded {
  sent: unknown[];
  errors: Array<{ err: unknown; msg: unknown }>;
}

function fakeNode(errorOutputWired: boolean): WiredNode & Recorded {
  const recorded: Recorded = { sent: [], errors: [] };
  return Object.assign(recorded, {
    id: 'n1',
    type: 'tbk-item-info-get',
    name: 'lookup',
    wires: errorOutputWired ? [['ok'], ['failed']] : [['ok'], []],
    send: (msg: unknown) => void recorded.sent.push(msg),
    error: (err: unknown, msg: unknown) => void recorded.errors.push({ err, msg }),
  }) as unknown as WiredNode & Recorded;
}

function ends(): {
  send: (m: unknown) => void;
  done: (err?: Error) => void;
  sent: unknown[];
  dones: Array<Error | undefined>;
} {
  const sent: unknown[] = [];
  const dones: Array<Error | undefined> = [];
  return { send: (m) => void sent.push(m), done: (err) => void dones.push(err), sent, dones };
}

const throttled = new TopError({
  kind: 'throttled',
  code: 7,
  sub_code: 'accesscontrol.limited-by-app-access-count',
  request_id: 'req-1',
  method: 'taobao.tbk.item.info.get',
  ...messageFields('transport.empty'),
});

describe('reportFailure(node, mode, msg, err)', function () {
  let saved: NodeAPI | undefined;
  before(() => (saved = registeredRuntime()));
  after(() => saved && rememberRuntime(saved));

  it("'output': the input message on output 2 with msg.error, then done() without an error", function () {
    const node = fakeNode(false);
    const e = ends();
    const msg: NodeMessage = { payload: { num_iids: '1' } };
    reportFailure(node, 'output', msg, throttled, e);
    assert.equal(e.sent.length, 1);
    assert.deepEqual((e.sent[0] as unknown[])[0], null);
    const out = (e.sent[0] as NodeMessage[])[1]!;
    assert.equal(out, msg, 'the same message object');
    const error = out.error as Record<string, unknown>;
    assert.equal(error.kind, 'throttled');
    assert.equal(error.code, 7);
    assert.equal(error.request_id, 'req-1');
    assert.deepEqual(error.source, { id: 'n1', type: 'tbk-item-info-get', name: 'lookup' });
    assert.deepEqual(e.dones, [undefined]);
    assert.deepEqual(node.errors, []);
  });

  it("'auto': output 2 when it is wired, else Catch through done(err) with plain fields in cause", function () {
    const wired = fakeNode(true);
    const toOutput = ends();
    reportFailure(wired, 'auto', { payload: {} }, throttled, toOutput);
    assert.equal(toOutput.sent.length, 1);
    assert.deepEqual(toOutput.dones, [undefined]);

    const unwired = fakeNode(false);
    const toCatch = ends();
    reportFailure(unwired, 'auto', { payload: {} }, throttled, toCatch);
    assert.equal(toCatch.sent.length, 0);
    assert.equal(toCatch.dones.length, 1);
    const err = toCatch.dones[0] as Error & { cause: Record<string, unknown> };
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'Empty answer from the gateway');
    assert.equal(err.cause.kind, 'throttled');
    assert.equal(err.cause.sub_code, 'accesscontrol.limited-by-app-access-count');
  });

  it("'catch' even when output 2 is wired; a failure of the node's own goes to node.error(err, msg)", function () {
    const node = fakeNode(true);
    const e = ends();
    reportFailure(node, 'catch', { payload: {} }, throttled, e);
    assert.equal(e.sent.length, 0);
    assert.equal(e.dones.length, 1);
    assert.ok(e.dones[0] instanceof TopError);

    const own: NodeMessage = { topic: 'error', payload: undefined };
    reportFailure(node, 'catch', own, throttled);
    assert.equal(node.errors.length, 1);
    assert.equal(node.errors[0]!.msg, own);
    reportFailure(node, 'output', { topic: 'error', payload: undefined }, throttled);
    assert.equal(node.sent.length, 1, "a failure of the node's own on output 2 is a new message");
  });

  it('anything thrown is reported as a TopError (a plain Error is a transport failure)', function () {
    const node = fakeNode(true);
    const e = ends();
    const msg: NodeMessage = { payload: {} };
    reportFailure(node, 'output', msg, new Error('socket hang up'), e);
    const error = msg.error as Record<string, unknown>;
    assert.equal(error.kind, 'transport');
    assert.equal(error.message, 'socket hang up');
  });

  it('says it in the language of the runtime the node set was registered with', function () {
    const zh = { _: (key: string) => (key.endsWith('errors.transport.empty') ? '网关返回了空应答' : key) };
    rememberRuntime(zh as unknown as NodeAPI);
    const node = fakeNode(true);
    const msg: NodeMessage = { payload: {} };
    reportFailure(node, 'output', msg, throttled, ends());
    assert.equal((msg.error as Record<string, unknown>).message, '网关返回了空应答');
    const e = ends();
    reportFailure(fakeNode(false), 'auto', { payload: {} }, throttled, e);
    assert.equal((e.dones[0] as Error).message, '网关返回了空应答');
  });
});
