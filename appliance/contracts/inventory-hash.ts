import { createHash } from 'node:crypto';
import type { Inventory } from './host.ts';

/** JSON with object keys sorted at every level: the same data always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * SHA-256 (hex) of the inventory's canonical JSON: changes exactly when the
 * inventory does. The agent sends it with each heartbeat and the controller
 * compares it with the one it stored, so both must compute it here.
 */
export function inventoryHash(inventory: Inventory): string {
  return createHash('sha256').update(canonicalJson(inventory)).digest('hex');
}
