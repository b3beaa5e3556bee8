/**
 * Bad input, property-based: hostile msg.payload values through every generated method node never
 * throw out of the node, never reach the network, and give a validation error naming the parameter.
 * And validateParams itself, over arbitrary values.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { isTopError } from '../../lib/top/errors';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { loadSpecs } from '../../lib/method-specs/index';
import { validateParams } from '../../lib/method-specs/schema';
import type { MethodSpec, ParamSpec } from '../../lib/method-specs/types';
import { helper, type TestNode, stopRuntime, startRuntime } from '../support/node-red';
import { everyMethodFlow, METHOD_NODE_SETS } from '../support/every-method-flow';

const RUNS_PER_TYPE = 20;
const SEED = 20240601;
const FORBIDDEN = ['__proto__', 'constructor', 'prototype'] as const;

interface Hostile {
  payload: unknown;
  /** the parameter the error must name; undefined = a required parameter left out may be named first */
  param: string;
  /** other acceptable names: required parameters the payload leaves out (reported first when earlier in the spec) */
  orMissingRequired: boolean;
  what: string;
}

function circular(): Record<string, unknown> {
  const value: Record<string, unknown> = { a: 1, nested: { b: [1, 2] } };
  (value.nested as Record<string, unknown>).back = value;
  return value;
}

/** A real own key "__proto__" (an object literal would set the prototype instead). */
function withOwnKey(key: string, value: unknown): Record<string, unknown> {
  const out = JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value) ?? 'null'}}`) as Record<string, unknown>;
  assert.ok(Object.prototype.hasOwnProperty.call(out, key));
  return out;
}

const nonEmptyString = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s !== '');

/** Payloads that are not an object of parameters at all (numbers and booleans are an Inject trigger, not an error). */
const notAnObject: fc.Arbitrary<Hostile> = fc
  .oneof(
    nonEmptyString,
    fc.constant('x'.repeat(300_000)),
    fc.array(fc.anything(), { maxLength: 5 }),
    fc.bigInt(),
    fc.constant(Buffer.from('{"q":"x"}')),
    fc.constant(Symbol('payload')),
    fc.constant(() => ({ q: 'x' })),
    fc.date(),
    fc.constant(new Map([['q', 'x']])),
    fc.constant(Object.create({ q: 'inherited' }) as unknown),
  )
  .map((payload) => ({ payload, param: 'payload', orMissingRequired: false, what: 'not an object' }));

const pollution: fc.Arbitrary<Hostile> = fc
  .tuple(fc.constantFrom(...FORBIDDEN), fc.jsonValue({ maxDepth: 2 }))
  .map(([key, value]) => ({
    payload: withOwnKey(
      key,
      key === '__proto__'
        ? { polluted: true, ...(typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) }
        : value,
    ),
    param: key,
    orMissingRequired: false,
    what: `own key ${key}`,
  }));

/** Values that the parameter's kind refuses. */
function invalidFor(p: ParamSpec): fc.Arbitrary<unknown> {
  const nested = fc.dictionary(
    fc.constantFrom('a', 'b', 'value'),
    fc.oneof(fc.integer(), fc.dictionary(fc.constantFrom('x', 'y'), fc.integer(), { minKeys: 1 })),
    { minKeys: 1 },
  );
  const common = [nested, fc.constant(circular()), fc.constant(Symbol('v')), fc.constant(() => 1)];
  switch (p.kind) {
    case 'number':
      return fc.oneof(
        ...common,
        fc.constant(Number.NaN),
        fc.constant(Number.POSITIVE_INFINITY),
        fc.constant(true),
        fc.constant('x'.repeat(100_000)),
        fc.stringMatching(/^[a-z]{1,12}$/),
        fc.constant(2 ** 60),
        fc.array(nested, { minLength: 1, maxLength: 2 }),
      );
    case 'string':
      return fc.oneof(
        ...common,
        fc.constant(Number.NaN),
        fc.constant(false),
        fc.array(nested, { minLength: 1, maxLength: 2 }),
        ...(p.maxLength !== undefined ? [fc.constant('字'.repeat(p.maxLength + 1))] : []),
      );
    case 'boolean':
      return fc.oneof(
        ...common,
        fc.integer(),
        fc.bigInt(),
        fc.constantFrom('yes', 'no', '1', 'TRUE '),
        fc.array(fc.boolean(), { minLength: 1 }),
      );
    case 'date':
      return fc.oneof(
        ...common,
        fc.constant(true),
        fc.bigInt(),
        fc.constantFrom('yesterday', '2024-02-31 10:00:00', '2024-13-01', '10:00'),
        fc.constant(new Date(Number.NaN)),
      );
    case 'json':
      return fc.oneof(
        fc.constant(circular()),
        fc.constant([circular()]),
        fc.constant(Symbol('v')),
        fc.integer(),
        fc.boolean(),
        fc.bigInt(),
        fc.constantFrom('{nope', "{'a':1}", 'undefined'),
      );
    case 'string[]':
    case 'number[]':
      return fc.oneof(
        ...common,
        fc.constant(true),
        fc.array(nested, { minLength: 1, maxLength: 3 }),
        ...(p.kind === 'number[]' ? [fc.constantFrom('1,x,3', 'abc', '1;2')] : []),
      );
    case 'file':
      return fc.oneof(...common, nonEmptyString, fc.integer(), fc.constant({ data: 'not bytes' }));
    default:
      return fc.oneof(...common);
  }
}

function arbitraryFor(spec: MethodSpec): fc.Arbitrary<Hostile> {
  const known = new Set(spec.params.map((p) => p.name));
  const options: Array<fc.Arbitrary<Hostile>> = [notAnObject, pollution];
  if (spec.validate !== false) {
    const unknownKey = fc
      .stringMatching(/^[a-z][a-z_]{0,19}$/)
      .filter((k) => !known.has(k) && !(FORBIDDEN as readonly string[]).includes(k));
    options.push(
      fc.tuple(unknownKey, fc.anything()).map(([key, value]) => ({
        payload: { [key]: value },
        param: key,
        orMissingRequired: false,
        what: `unknown parameter ${key}`,
      })),
    );
    if (spec.params.length > 0) {
      options.push(
        fc.constantFrom(...spec.params).chain((p) =>
          invalidFor(p).map((value) => ({
            payload: { [p.name]: value },
            param: p.name,
            orMissingRequired: true,
            what: `bad ${p.kind} in ${p.name}`,
          })),
        ),
      );
    }
  } else {
    // unvalidated methods pass parameters through: what cannot be put on the wire is still refused before the network
    const key = fc.stringMatching(/^[a-z][a-z_]{0,19}$/).filter((k) => !(FORBIDDEN as readonly string[]).includes(k));
    options.push(
      fc
        .tuple(
          key,
          fc.constantFrom<unknown>(circular(), Symbol('v'), () => 1, Number.NaN, Number.NEGATIVE_INFINITY),
        )
        .map(([k, value]) => ({
          payload: { [k]: value },
          param: k,
          orMissingRequired: false,
          what: `unencodable value in ${k}`,
        })),
    );
  }
  return fc.oneof(...options);
}

describe('reliability: hostile msg.payload through every method node (fast-check)', function () {
  this.timeout(300_000);
  const specs = loadSpecs();
  let sandbox: Sandbox;
  const waiting = new Map<number, (outcome: { port: 'ok' | 'err'; msg: Record<string, any> }) => void>();
  const thrown: unknown[] = [];
  const onThrown = (err: unknown): void => void thrown.push(err);

  before(async function () {
    sandbox = await startSandbox();
    process.on('unhandledRejection', onThrown);
    process.on('uncaughtException', onThrown);
    await startRuntime();
    const flow = everyMethodFlow(
      specs,
      { endpoint: sandbox.url, timeout: 2000, retries: 0, rateLimit: 0, concurrency: 0 },
      { errorMode: 'output' },
    );
    await helper.load(METHOD_NODE_SETS, flow, {
      cfg: { appKey: 'sandbox-app', appSecret: 'sandbox-secret', session: 'input-test-session' },
    });
    for (const port of ['ok', 'err'] as const) {
      helper.getNode(port).on('input', (msg: Record<string, any>) => {
        const resolve = waiting.get(msg.probe as number);
        waiting.delete(msg.probe as number);
        resolve?.({ port, msg });
      });
    }
  });

  after(async function () {
    process.off('unhandledRejection', onThrown);
    process.off('uncaughtException', onThrown);
    await stopRuntime();
    await sandbox.close();
  });

  it('loads one node of each of the 149 generated types', function () {
    assert.equal(specs.length, 149);
    for (const spec of specs) assert.ok(helper.getNode(`n-${spec.type}`), `${spec.type} did not start`);
  });

  let probe = 0;
  async function send(node: TestNode, payload: unknown): Promise<{ port: 'ok' | 'err'; msg: Record<string, any> }> {
    const id = ++probe;
    const outcome = new Promise<{ port: 'ok' | 'err'; msg: Record<string, any> }>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('no output within 5 s'));
      }, 5000);
      waiting.set(id, (value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
    try {
      node.receive({ probe: id, payload });
    } catch (err) {
      waiting.delete(id);
      throw new Error(`the node threw out of receive(): ${String(err)}`, { cause: err });
    }
    return outcome;
  }

  it(`refuses ${RUNS_PER_TYPE} hostile payloads per type before the network, naming the parameter`, async function () {
    const before = sandbox.stats().totalCalls;
    let checked = 0;
    for (const spec of specs) {
      const node = helper.getNode(`n-${spec.type}`);
      const required = new Set(spec.params.filter((p) => p.required).map((p) => p.name));
      await fc.assert(
        fc.asyncProperty(arbitraryFor(spec), async (hostile) => {
          const { port, msg } = await send(node, hostile.payload);
          assert.equal(port, 'err', `${spec.type}: ${hostile.what} was accepted`);
          const error = msg.error as Record<string, unknown>;
          assert.equal(
            error.kind,
            'validation',
            `${spec.type}: ${hostile.what} gave ${String(error.kind)}: ${String(error.message)}`,
          );
          const param = error.param as string;
          const named =
            param === hostile.param ||
            (hostile.orMissingRequired &&
              required.has(param) &&
              !Object.prototype.hasOwnProperty.call(hostile.payload, param));
          assert.ok(
            named,
            `${spec.type}: ${hostile.what} was reported for parameter ${String(param)}: ${String(error.message)}`,
          );
          assert.ok(
            String(error.message).includes(param),
            `${spec.type}: the message does not name ${param}: ${String(error.message)}`,
          );
          assert.equal(sandbox.stats().totalCalls, before, `${spec.type}: ${hostile.what} reached the gateway`);
          checked++;
        }),
        { numRuns: RUNS_PER_TYPE, seed: SEED, endOnFailure: true },
      );
    }
    assert.equal(checked, specs.length * RUNS_PER_TYPE);
    assert.deepEqual(thrown, [], 'nothing threw out of a node');
  });

  it('does not pollute Object.prototype', function () {
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('reliability: validateParams over arbitrary values (fast-check)', function () {
  const specs = loadSpecs();
  const validated = specs.filter((s) => s.validate !== false && s.params.length > 0);

  /** An object mixing documented names (with any value) and arbitrary keys. */
  function paramsFor(spec: MethodSpec): fc.Arbitrary<Record<string, unknown>> {
    const names = spec.params.map((p) => p.name);
    const value = fc.oneof(
      fc.anything(),
      fc.bigInt(),
      fc.date(),
      fc.constant(circular()),
      fc.constant(Number.NaN),
      fc.string(),
      fc.integer().map(String),
    );
    return fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 })), value, { maxKeys: 6 });
  }

  it('throws nothing but validation TopErrors naming a parameter of the input, and returns only keys of the input', function () {
    fc.assert(
      fc.property(fc.constantFrom(...validated), fc.boolean(), fc.nat(), (spec, allowExtra, n) => {
        const params = fc.sample(paramsFor(spec), { numRuns: 1, seed: n })[0]!;
        let out: Record<string, unknown>;
        try {
          out = validateParams(spec, params, { allowExtra });
        } catch (err) {
          assert.ok(isTopError(err), `not a TopError: ${String(err)}`);
          assert.equal(err.kind, 'validation');
          assert.equal(err.method, spec.method);
          if (err.param !== undefined) {
            const documented = spec.params.some((p) => p.name === err.param);
            assert.ok(
              Object.prototype.hasOwnProperty.call(params, err.param) || documented,
              `names ${err.param}, neither given nor documented`,
            );
          }
          return;
        }
        for (const key of Object.keys(out))
          assert.ok(Object.prototype.hasOwnProperty.call(params, key), `returned a key ${key} that was not given`);
        for (const p of spec.params.filter((q) => q.required))
          assert.ok(out[p.name] !== undefined, `required ${p.name} missing from a successful result`);
        // what it accepts it accepts again unchanged (normalization is idempotent)
        assert.deepEqual(validateParams(spec, out, { allowExtra }), out);
      }),
      { numRuns: 3000, seed: SEED },
    );
  });

  it('refuses non-objects and prototype keys whatever the spec', function () {
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.oneof(
          fc.string(),
          fc.integer(),
          fc.bigInt(),
          fc.array(fc.anything()),
          fc.constant(null),
          fc.constant(undefined),
          fc.date(),
        ),
        (spec, value) => {
          assert.throws(
            () => validateParams(spec, value),
            (err: unknown) => isTopError(err) && err.kind === 'validation',
          );
        },
      ),
      { numRuns: 500, seed: SEED },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.constantFrom(...FORBIDDEN),
        fc.jsonValue({ maxDepth: 1 }),
        (spec, key, value) => {
          assert.throws(
            () => validateParams(spec, withOwnKey(key, value), { allowExtra: true }),
            (err: unknown) => isTopError(err) && err.kind === 'validation' && err.param === key,
          );
        },
      ),
      { numRuns: 300, seed: SEED },
    );
  });
});
