import { registerMethodNodes } from './method-node';
import type { NodeAPI } from 'node-red';

/** Node set: the method nodes of role "provider". */
export = function (RED: NodeAPI): void {
  registerMethodNodes(RED, 'provider');
};
