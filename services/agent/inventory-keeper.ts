import type { Inventory } from '../../appliance/contracts/index.ts';
import { inventoryHash } from '../../appliance/contracts/index.ts';

/** The latest inventory and its hash; refresh() collects again and says whether anything changed. */
export class InventoryKeeper {
  readonly #collect: () => Promise<Inventory>;
  #current: Inventory | undefined;
  #hash = '';
  #collecting: Promise<boolean> | undefined;

  constructor(collect: () => Promise<Inventory>) {
    this.#collect = collect;
  }

  /** Undefined until a collection succeeded. */
  get current(): Inventory | undefined {
    return this.#current;
  }

  /** Empty until a collection succeeded. */
  get hash(): string {
    return this.#hash;
  }

  /** Collects again (one collection at a time); rejects when collecting fails, keeping the previous inventory. */
  refresh(): Promise<boolean> {
    this.#collecting ??= this.#collect()
      .then((inventory) => {
        const hash = inventoryHash(inventory);
        const changed = hash !== this.#hash;
        this.#current = inventory;
        this.#hash = hash;
        return changed;
      })
      .finally(() => {
        this.#collecting = undefined;
      });
    return this.#collecting;
  }
}
