export { startSandbox, DEFAULT_APP } from './server';
export type { Sandbox, SandboxOptions, SandboxStats, RecordedRequest, ResponseOverride } from './server';
export type { SandboxApp, ReceivedFile } from './gateway';
export { ECHO_METHOD, BARE_INTEGER_FIELDS, serializeBody, simplifyValue } from './gateway';
export { FAULT_KINDS, FaultSet, parseFaultArg, seededRandom } from './faults';
export type { FaultKind, FaultRule } from './faults';
export { OrderBook, installOrderBook } from './order-book';
export { installLiveOrderBook } from './live-orders';
export type { LiveOrderBookOptions } from './live-orders';
