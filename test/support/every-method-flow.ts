/** A flow with one node of every generated method type, all wired to the helpers 'ok' and 'err'. */
import type { NodeInitializer } from 'node-red';
import type { MethodSpec } from '../../lib/method-specs/types';
import type { FlowNode } from './node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import promoterSet = require('../../nodes/tbk-promoter');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import providerSet = require('../../nodes/tbk-provider');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import commonSet = require('../../nodes/tbk-common');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import otherSet = require('../../nodes/tbk-other');

/** The config node and every set of generated method nodes, for helper.load. */
export const METHOD_NODE_SETS: NodeInitializer[] = [configNode, promoterSet, providerSet, commonSet, otherSet];

/**
 * Tab 'f1', the config node 'cfg' (with `config`'s properties), the helpers 'ok' and 'err', and a node
 * `n-<type>` of each spec with `nodeProperties` (empty parameter rows otherwise).
 */
export function everyMethodFlow(
  specs: readonly MethodSpec[],
  config: Record<string, unknown>,
  nodeProperties: Record<string, unknown> = {},
): FlowNode[] {
  return [
    { id: 'f1', type: 'tab' },
    { id: 'cfg', type: 'tbk-config', z: 'f1', ...config },
    { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
    { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
    ...specs.map((spec) => ({
      id: `n-${spec.type}`,
      type: spec.type,
      z: 'f1',
      x: 0,
      y: 0,
      config: 'cfg',
      version: spec.version,
      params: {},
      ...nodeProperties,
      wires: [['ok'], ['err']],
    })),
  ];
}
