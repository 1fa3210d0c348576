import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Inventory } from '../../../appliance/contracts/index.ts';
import { inventoryHash } from '../../../appliance/contracts/index.ts';
import { InventoryKeeper } from '../../../services/agent/inventory-keeper.ts';
import { toInventory, type RawInventory } from '../../../services/agent/to-inventory.ts';

const inventory = toInventory(JSON.parse(readFileSync(join(import.meta.dirname, 'testdata', 'raw-inventory-server.json'), 'utf8')) as RawInventory);

test('InventoryKeeper.refresh() says changed the first time and when the hardware changes, not otherwise', async () => {
  const next: Inventory[] = [inventory, inventory, { ...inventory, memory: { totalBytes: 1 } }];
  const keeper = new InventoryKeeper(async () => next.shift()!);
  assert.is(keeper.current, undefined);
  assert.is(keeper.hash, '');
  assert.is(await keeper.refresh(), true);
  assert.is(keeper.hash, inventoryHash(inventory));
  assert.is(await keeper.refresh(), false);
  assert.is(await keeper.refresh(), true);
  assert.is(keeper.current?.memory.totalBytes, 1);
});

test('InventoryKeeper.refresh() keeps the last inventory when collecting fails, and runs one collection at a time', async () => {
  let calls = 0;
  let fail = false;
  const keeper = new InventoryKeeper(async () => {
    calls += 1;
    if (fail) throw new Error('lsblk vanished');
    return inventory;
  });
  await Promise.all([keeper.refresh(), keeper.refresh()]);
  assert.is(calls, 1);
  fail = true;
  await keeper.refresh().then(
    () => assert.unreachable('should have failed'),
    (err: Error) => assert.is(err.message, 'lsblk vanished'),
  );
  assert.is(keeper.current, inventory);
});

test.run();
