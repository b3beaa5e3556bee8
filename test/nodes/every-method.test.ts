/**
 * Every generated node type, in one real Node-RED runtime against the sandbox: its documented
 * example parameters reach the gateway signed and come back as the documented example on
 * output 1 (or as a business error where the documented example itself reports a failure);
 * leaving out a required parameter ends on output 2 naming it, with no call made.
 */
import { strict as assert } from 'node:assert';
import { sign } from '../../lib/top/sign';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { loadSpecs } from '../../lib/method-specs/index';
import { answerEntries } from '../../lib/links/convert';
import { LINK_CONVERT_METHODS, materialAnswer } from '../../lib/sandbox/link-convert';
import { catalogPayload, documentedFailures } from '../../scripts/generate-examples';
import { Collector, helper } from '../support/node-red';
import { everyMethodFlow, METHOD_NODE_SETS } from '../support/every-method-flow';

const APP = { appKey: 'every-method-app', appSecret: 'every-method-secret-4f1c' };
const SESSION = 'every-method-user-session';

function unwrapped(example: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(example);
  return keys.length === 1 && keys[0]!.endsWith('_response') ? (example[keys[0]!] as Record<string, unknown>) : example;
}

describe('every method node', function () {
  this.timeout(120_000);
  const specs = loadSpecs();
  const failures = documentedFailures(specs);
  let sandbox: Sandbox;
  let ok: Collector;
  let err: Collector;

  before(async function () {
    sandbox = await startSandbox({ apps: [APP] });
    const flow = everyMethodFlow(
      specs,
      { endpoint: sandbox.url, signMethod: 'hmac-sha256', timeout: 5000, retries: 0, rateLimit: 0, concurrency: 0 },
      { errorMode: 'output' },
    );
    await helper.load(METHOD_NODE_SETS, flow, { cfg: APP });
    ok = new Collector(helper.getNode('ok'));
    err = new Collector(helper.getNode('err'));
  });
  after(async function () {
    await helper.unload();
    await sandbox.close();
  });

  /** Sends one message and waits for the one output it must end in. */
  async function roundTrip(
    type: string,
    msg: Record<string, unknown>,
  ): Promise<{ output: 1 | 2; msg: Record<string, any> }> {
    const okBefore = ok.messages.length;
    const errBefore = err.messages.length;
    helper.getNode(`n-${type}`).receive(msg);
    const deadline = Date.now() + 10_000;
    while (ok.messages.length === okBefore && err.messages.length === errBefore) {
      if (Date.now() > deadline) throw new Error(`${type}: no output`);
      await new Promise((r) => setTimeout(r, 2));
    }
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(ok.messages.length - okBefore + err.messages.length - errBefore, 1, `${type}: exactly one output`);
    return ok.messages.length > okBefore
      ? { output: 1, msg: ok.messages.at(-1)! }
      : { output: 2, msg: err.messages.at(-1)! };
  }

  it('covers all 149 specs', function () {
    assert.equal(specs.length, 149);
  });

  for (const spec of loadSpecs()) {
    it(`${spec.type}: the documented example, signed; a missing required parameter refused before the network`, async function () {
      const { payload } = catalogPayload(spec, specs);
      const msg: Record<string, unknown> = { topic: `${spec.type}-example`, payload };
      if (spec.auth === 'required') msg.session = SESSION;
      const requestsBefore = sandbox.requests().length;
      const result = await roundTrip(spec.type, msg);

      const sent = sandbox.requests().slice(requestsBefore);
      assert.equal(sent.length, 1, 'one gateway call');
      const { sign: signature, ...signed } = sent[0]!.params;
      assert.equal(signed.method, spec.method);
      assert.equal(signature, sign(signed, APP.appSecret, 'hmac-sha256'), 'signed over every parameter sent');
      if (spec.auth === 'required') assert.equal(signed.session, SESSION);

      if (failures.has(spec.method)) {
        assert.equal(result.output, 2, 'a documented failure example is a business error');
        assert.equal(result.msg.error.kind, 'business');
      } else {
        assert.equal(result.output, 1, `output 1, got ${JSON.stringify(result.msg.error)}`);
        const response = result.msg.payload as Record<string, unknown>;
        assert.equal(typeof response.request_id, 'string');
        if (LINK_CONVERT_METHODS.has(spec.method)) {
          // 万能转链 with material_list: the sandbox answers material by material
          const materials = String(sent[0]!.params.material_list).split(',');
          const expected = materials.map((m) =>
            materialAnswer(m, { params: sent[0]!.params, files: [], now: sent[0]!.time }, spec.method),
          );
          assert.deepEqual(JSON.parse(JSON.stringify(answerEntries(response))), JSON.parse(JSON.stringify(expected)));
        } else if (spec.responseExample)
          assert.deepEqual(
            { ...response, request_id: undefined },
            { ...unwrapped(spec.responseExample), request_id: undefined },
          );
        else assert.ok(response.echo, 'no documented example: the sandbox echoes');
        assert.equal(result.msg.tbk.method, spec.method);
      }

      const required = spec.validate ? spec.params.find((p) => p.required && p.name in payload) : undefined;
      if (!required) return;
      const { [required.name]: _left, ...without } = payload;
      const callsBefore = sandbox.requests().length;
      const refused = await roundTrip(spec.type, {
        topic: `${spec.type}-missing`,
        payload: without,
        ...(msg.session ? { session: msg.session } : {}),
      });
      assert.equal(refused.output, 2);
      assert.equal(refused.msg.error.kind, 'validation');
      assert.equal(refused.msg.error.param, required.name);
      assert.ok(refused.msg.error.message.includes(required.name), refused.msg.error.message);
      assert.equal(sandbox.requests().length, callsBefore, 'no gateway call');
    });
  }
});
