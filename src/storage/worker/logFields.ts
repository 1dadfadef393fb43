/** Log fields as they cross from a worker thread to its client. */
import { inspect } from 'node:util';

/**
 * The fields as JSON-safe data: structured clone refuses functions and some objects. Fields JSON
 * cannot hold (a BigInt, a cycle) go as their `util.inspect` text, so the log still shows them.
 */
export function plainLogFields(
  fields: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  try {
    return JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
  } catch {
    return { fields: inspect(fields, { depth: 4, breakLength: Infinity }) };
  }
}
