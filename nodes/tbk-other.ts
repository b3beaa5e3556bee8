import { registerMethodNodes } from './method-node';
import type { NodeAPI } from './red-types';

/** Node set: the method nodes of role "other". */
export = function (RED: NodeAPI): void {
  registerMethodNodes(RED, 'other');
};
