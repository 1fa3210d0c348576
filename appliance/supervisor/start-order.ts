export interface Ordered {
  readonly name: string;
  /** Names this one must start after (and stop before). */
  readonly after?: readonly string[] | undefined;
}

/**
 * Dependency order, stable with respect to the given order where dependencies allow.
 * Pure.
 * @throws TypeError naming an unknown dependency, a duplicate or a cycle.
 */
export function startOrder(items: readonly Ordered[]): string[] {
  const byName = new Map<string, Ordered>();
  for (const item of items) {
    if (byName.has(item.name)) throw new TypeError(`Cannot order services: "${item.name}" is defined twice`);
    byName.set(item.name, item);
  }
  for (const item of items) {
    for (const dep of item.after ?? []) {
      if (!byName.has(dep)) throw new TypeError(`Cannot order services: "${item.name}" starts after "${dep}", which is not defined`);
    }
  }
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const seen = state.get(name);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new TypeError(`Cannot order services: cycle ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dep of byName.get(name)?.after ?? []) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const item of items) visit(item.name, []);
  return order;
}
