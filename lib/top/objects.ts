/**
 * A plain object: `{...}` or Object.create(null), from any realm. Objects built in a Node-RED
 * Function node come from its vm sandbox, whose Object.prototype is not ours, so comparing
 * prototypes by identity would refuse them. A Proxy whose traps throw is not plain.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  try {
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto === null) return true;
    return (
      Object.getPrototypeOf(proto) === null &&
      Object.prototype.toString.call(value) === '[object Object]' &&
      typeof (proto as { hasOwnProperty?: unknown }).hasOwnProperty === 'function'
    );
  } catch {
    return false;
  }
}
