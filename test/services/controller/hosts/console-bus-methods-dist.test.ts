// The console's controller methods answer on the local bus of a running
// dist/alliance, called as the console would (another process, the ipc socket).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConsoleOverviewResult } from '../../../../appliance/contracts/index.ts';
import { binaryPath, freePort, runCli, startServe, tempDir } from '../../../_support/appliance-process.ts';

test('dist/alliance bus call controller.console-overview, .join-code-rotate and .first-admin answer against a running appliance', async () => {
  const dir = join(tempDir('console-bus'), 'data');
  const init = runCli(['init', '--data-dir', dir]);
  assert.is(init.code, 0, init.stderr);
  writeFileSync(join(dir, 'alliance.toml'), `[http]\nlisten = "127.0.0.1"\nport = ${await freePort()}\n\n[controller]\nlisten = "tls+tcp://127.0.0.1:${await freePort()}"\n`);
  const appliance = await startServe(['--data-dir', dir]);
  const bus = (method: string, params: unknown) => {
    const result = spawnSync(binaryPath(), ['bus', 'call', method, JSON.stringify(params), '--data-dir', dir], { env: {}, encoding: 'utf8' });
    return { code: result.status, out: result.status === 0 ? (JSON.parse(result.stdout) as unknown) : undefined, stderr: result.stderr };
  };
  try {
    const empty = bus('controller.console-overview', {});
    assert.is(empty.code, 0, empty.stderr);
    assert.equal(empty.out, { admins: 0, hosts: { counts: { pending: 0, active: 0, suspect: 0, offline: 0, retired: 0, rejected: 0 }, pending: [], pendingTotal: 0 }, joinCode: null });

    const rotated = bus('controller.join-code-rotate', { ttlHours: 1 });
    assert.is(rotated.code, 0, rotated.stderr);
    const created = bus('controller.first-admin', { name: 'root', password: 'a long console passphrase' });
    assert.equal(created.out, { name: 'root' }, created.stderr);
    const again = bus('controller.first-admin', { name: 'other', password: 'a long console passphrase' });
    assert.is(again.code, 1);
    assert.match(again.stderr, /a cloud admin exists already.*\[APL_CTRL_ADMIN_EXISTS\]/);

    const after = bus('controller.console-overview', {}).out as ConsoleOverviewResult;
    assert.is(after.admins, 1);
    assert.is(after.joinCode?.tokenId, (rotated.out as { tokenId: string }).tokenId);
  } finally {
    appliance.child.kill('SIGTERM');
    await appliance.exited;
  }
});

test.run();
