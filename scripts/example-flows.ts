/**
 * The task example flows (examples/01-…json to examples/12-…json), as data, listed here in order:
 * 01 to 03 in example-promotion.ts, 04 to 06 in example-orders.ts, 07 to 10 in example-calls.ts,
 * 11 and 12 in example-automations.ts, what they share in example-layout.ts. Each runs as imported
 * in the Node-RED of `npm start`, whatever the ports: the one config node they share reads the
 * gateway and the credentials from TBK_ENDPOINT, TBK_APP_KEY and TBK_APP_SECRET, which `npm start`
 * sets for its Node-RED (a note on each canvas says what to set elsewhere). The sandbox answers with
 * the documented response examples: function nodes map the documented response fields to msg
 * properties, which the next method node's parameter rows read (type msg or jsonata), and clear
 * msg.payload.
 *
 * Most rows read msg properties set by function nodes; a Function node may also build msg.payload
 * itself (09 and 10 do): objects from its vm context are taken as parameters (lib/objects.ts).
 * Every required parameter of a method node is set or mapped from msg, so that every node is valid
 * in the editor. Rows are laid out from the nodes' label widths (FlowBuilder.row).
 */
import { batchConvert, errorHandling, providerSession, sharedLimit } from './example-calls';
import { chatLinkConvert, commissionDashboard } from './example-automations';
import { orderPolling, planCallback, tljBusinessFailure } from './example-orders';
import { genericCall, parseUserLink, searchToPost } from './example-promotion';
import type { TaskExample } from './example-layout';

export type { TaskExample };
export { SAMPLE_CHAT } from './example-automations';

export function taskExamples(): TaskExample[] {
  return [
    genericCall(),
    searchToPost(),
    parseUserLink(),
    orderPolling(),
    tljBusinessFailure(),
    planCallback(),
    providerSession(),
    errorHandling(),
    batchConvert(),
    sharedLimit(),
    chatLinkConvert(),
    commissionDashboard(),
  ];
}
