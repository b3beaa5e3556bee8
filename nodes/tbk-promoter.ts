import { registerMethodNodes } from './method-node';
import type { NodeAPI } from './red-types';

/** Node set: the method nodes of role "promoter". */
export = function (RED: NodeAPI): void {
  registerMethodNodes(RED, 'promoter');
};
