// kill -9 in the middle of a burst of writes loses no acknowledged write.
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { callControl } from '../../appliance/cli/index.ts';
import { freePort, runCli, startServe, tempDir } from '../_support/appliance-process.ts';

const ROUNDS = 5;
const WRITERS = 4;

test('alliance serve killed with SIGKILL during concurrent writes keeps every acknowledged write, round after round', async () => {
  const dir = join(tempDir('durability'), 'data');
  assert.is(runCli(['init', '--data-dir', dir]).code, 0);
  writeFileSync(join(dir, 'alliance.toml'), `[http]\nlisten = "127.0.0.1"\nport = ${await freePort()}\n`);
  const socket = join(dir, 'run/control.sock');
  const acknowledged: string[] = [];

  for (let round = 0; round < ROUNDS; round += 1) {
    const appliance = await startServe(['--data-dir', dir]);
    // Kill after a random number of acknowledgements, so the kill lands mid-burst.
    const killAfter = randomInt(30, 300);
    let acksThisRound = 0;
    let killed = false;

    const writer = async (w: number): Promise<void> => {
      for (let seq = 0; ; seq += 1) {
        const key = `r${round}-w${w}-s${seq}`;
        let answer;
        try {
          answer = await callControl(socket, 'POST', '/v1/events', { kind: 'test.burst', message: key, idempotencyKey: key, data: { round, w, seq } });
        } catch {
          return; // the process is gone: this write was never acknowledged
        }
        assert.ok(answer.status === 201, `write ${key} answered ${answer.status}`);
        acknowledged.push(key);
        acksThisRound += 1;
        if (!killed && acksThisRound >= killAfter) {
          killed = true;
          appliance.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    assert.is(await appliance.exited, 'SIGKILL', `round ${round}: the appliance died by SIGKILL`);
    assert.ok(acksThisRound >= killAfter, `round ${round}: ${acksThisRound} writes were acknowledged before the kill`);

    const db = new Database(join(dir, 'store/alliance.db'));
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `round ${round}: integrity_check`);
      const stored = new Set((db.prepare("SELECT idempotency_key AS k FROM events WHERE kind = 'test.burst'").all() as { k: string }[]).map((r) => r.k));
      const lost = acknowledged.filter((k) => !stored.has(k));
      assert.equal(lost, [], `round ${round}: acknowledged writes missing after kill -9`);
    } finally {
      db.close();
    }
  }
  assert.ok(acknowledged.length >= ROUNDS * 30);
});

test.run();
