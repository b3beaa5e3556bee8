/** An order book whose clock follows the sandbox's (the wall clock by default), serving both order methods: new orders and changes arrive as time passes. */
import { ORDER_METHODS, OrderBook } from './order-book';

const HOUR = 3600_000;

export interface LiveOrderBookOptions {
  seed?: number;
  ordersPerHour?: number;
  /** how much order history exists when the sandbox starts (default 24 h) */
  historyHours?: number;
  /** the clock the book follows (default Date.now: the sandbox passes its own) */
  clock?: () => number;
}

/**
 * Serves both order methods from a book whose clock follows the wall clock, so that a polling
 * flow (npm start, the examples) sees new orders and changes arrive as time passes.
 */
export function installLiveOrderBook(
  sandbox: { setResponse(method: string, body: (params: Record<string, string>) => unknown): void },
  options: LiveOrderBookOptions = {},
): OrderBook {
  const clock = options.clock ?? Date.now;
  const book = new OrderBook({
    seed: options.seed ?? 1,
    start: clock() - (options.historyHours ?? 24) * HOUR,
    ordersPerHour: options.ordersPerHour ?? 30,
  });
  const catchUp = (): void => {
    const behind = clock() - book.now;
    if (behind >= 1000) book.advance(behind);
  };
  catchUp();
  for (const method of ORDER_METHODS) {
    sandbox.setResponse(method, (params) => {
      catchUp();
      return book.answer(params);
    });
  }
  return book;
}
