import { registerMethodNodes } from './method-node';
import type { NodeAPI } from './red-types';

/** Node set: the method nodes of role "common". */
export = function (RED: NodeAPI): void {
  registerMethodNodes(RED, 'common');
};
