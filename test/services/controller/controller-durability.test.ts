// kill -9 of the controller in the middle of REST writes and host enrolments
// loses nothing acknowledged, round after round; a host whose answer was lost
// in the kill enrols again with the same key without spending another join
// token use; tokens issued before a kill still work after it; a real agent
// running through it all reconnects and heartbeats again.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpsJson, type HttpsTarget } from '../../../appliance/api/index.ts';
import { parseJoinCode, type EnrolmentAnswer } from '../../../appliance/contracts/index.ts';
import type { AgentKeys } from '../../../services/agent/agent-keys.ts';
import { buildEnrolmentRequest } from '../../../services/agent/enrolment-request.ts';
import { freshHostKeys } from '../../_support/host-keys.ts';
import { binaryPath, cleanEnv, freePort, ROOT, runCli, startServe, tempDir, type ServingAppliance } from '../../_support/appliance-process.ts';

const ROUNDS = 3;
const PASSWORD = 'durable enough passphrase';

test('the controller killed with SIGKILL during project writes and enrolments keeps every acknowledged one', async () => {
  const dir = join(tempDir('controller-durability'), 'data');
  writeFileSync(join(dir, '..', 'pw'), `${PASSWORD}\n`);
  const init = runCli(['init', '--data-dir', dir, '--admin', 'admin', '--password-file', join(dir, '..', 'pw')]);
  assert.is(init.code, 0, init.stderr);
  const port = await freePort();
  writeFileSync(
    join(dir, 'alliance.toml'),
    `[http]\nlisten = "127.0.0.1"\nport = ${port}\n[controller]\nlisten = "tls+tcp://127.0.0.1:${await freePort()}"\npassword_cost = 10\nheartbeat_interval_s = 1\n[discovery]\nenabled = false\n`,
  );
  const target: HttpsTarget = { url: `https://localhost:${port}`, ca: readFileSync(join(dir, 'tls/https.crt')) };
  const call = async <T>(method: string, path: string, body: unknown, token?: string): Promise<{ status: number; body: T }> => {
    const answer = await httpsJson(target, method, path, { body, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    return { status: answer.status, body: answer.body as T };
  };

  const projects: string[] = [];
  const admitted = new Map<string, AgentKeys>();
  const unanswered = new Map<string, AgentKeys>();
  let token = '';
  let joinCode = { id: '', secret: '' };
  let running: ServingAppliance | undefined;
  let agent: ChildProcess | undefined;
  let agentHostId: string | undefined;
  let roundsPassed = false;
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      const appliance: ServingAppliance = await startServe(['--data-dir', dir]);
      running = appliance;
      if (round === 0) {
        const login = await call<{ accessToken: string }>('POST', '/api/v1/auth/login', { user: 'admin', password: PASSWORD });
        assert.is(login.status, 200, JSON.stringify(login.body));
        token = login.body.accessToken;
        const created = await call<{ code: string }>('POST', '/api/v1/join-tokens', { uses: 500, ttlSeconds: 3600 }, token);
        assert.is(created.status, 201, JSON.stringify(created.body));
        joinCode = parseJoinCode(created.body.code)!;
      // A real agent lives through every kill, with the address and a join code as the boot service would give them.
      const agentDir = join(dir, '..', 'agent');
      writeFileSync(join(dir, '..', 'join'), `${created.body.code}\n`);
      writeFileSync(join(dir, '..', 'cmdline'), 'quiet\n');
      agent = spawn(
        binaryPath(),
        ['agent', '--data-dir', agentDir, '--set', `agent.controller=127.0.0.1:${port}`, '--set', `agent.join_code_file=${join(dir, '..', 'join')}`, '--set', `agent.cmdline_file=${join(dir, '..', 'cmdline')}`, '--set', 'discovery.enabled=false'],
        { env: cleanEnv(), cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      agent.stdout!.on('data', (chunk: Buffer) => {
        agentHostId ??= /"hostId":"([a-z2-7]+)"/.exec(chunk.toString())?.[1];
      });
      } else {
        // The token from before the kills is still good: sessions are acknowledged writes too.
        const whoami = await call<{ user: { name: string } }>('GET', '/api/v1/auth/whoami', undefined, token);
        assert.is(whoami.status, 200, `round ${round}: whoami with the token from round 0 answered ${whoami.status}`);
      }

      const killAfter = randomInt(10, 40);
      let acks = 0;
      let killed = false;
      const acknowledged = (): void => {
        acks += 1;
        if (!killed && acks >= killAfter) {
          killed = true;
          appliance.child.kill('SIGKILL');
        }
      };
      const projectWriter = async (w: number): Promise<void> => {
        for (let seq = 0; ; seq += 1) {
          const name = `r${round}-w${w}-${seq}`;
          let answer;
          try {
            answer = await call('POST', '/api/v1/projects', { name }, token);
          } catch {
            return; // the process is gone: this write was never acknowledged
          }
          assert.is(answer.status, 201, `project ${name} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
          projects.push(name);
          acknowledged();
        }
      };
      const enroller = async (w: number): Promise<void> => {
        for (let seq = 0; ; seq += 1) {
          const keys = freshHostKeys();
          const request = buildEnrolmentRequest(keys, {
            name: `host-r${round}-w${w}-${seq}`,
            joinCode,
            now: new Date(),
            nonce: randomBytes(16).toString('base64url'),
            addresses: ['192.0.2.10'],
            agentVersion: 'test',
            inventory: null,
          });
          let answer;
          try {
            answer = await call<EnrolmentAnswer>('POST', '/api/v1/enrolments', request);
          } catch {
            unanswered.set(keys.identity.nodeId, keys);
            return;
          }
          assert.is(answer.status, 200, JSON.stringify(answer.body));
          assert.is(answer.body.state, 'admitted');
          admitted.set(keys.identity.nodeId, keys);
          acknowledged();
        }
      };
      await Promise.all([projectWriter(0), projectWriter(1), enroller(0), enroller(1)]);
      assert.is(await appliance.exited, 'SIGKILL', `round ${round}: the appliance died by SIGKILL`);

      const db = new Database(join(dir, 'store/alliance.db'), { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `round ${round}: integrity_check`);
        const storedProjects = new Set(db.prepare('SELECT name FROM projects').pluck().all() as string[]);
        assert.equal(projects.filter((p) => !storedProjects.has(p)), [], `round ${round}: acknowledged projects missing`);
        const audited = new Set(db.prepare("SELECT target FROM audit_log WHERE action = 'projects.create' AND outcome = 'ok'").pluck().all() as string[]);
        assert.equal(projects.filter((p) => !audited.has(p)), [], `round ${round}: acknowledged projects without their audit entry`);
        const hosts = new Map((db.prepare('SELECT id, state, credential_hash FROM hosts').all() as { id: string; state: string; credential_hash: string | null }[]).map((h) => [h.id, h]));
        for (const id of admitted.keys()) {
          const host = hosts.get(id);
          assert.ok(host, `round ${round}: admitted host ${id} missing`);
          assert.is(host.state, 'active', `round ${round}: admitted host ${id} is ${host.state}`);
          assert.ok(host.credential_hash, `round ${round}: admitted host ${id} has no credential`);
        }
      } finally {
        db.close();
      }
    }
    roundsPassed = true;
  } finally {
    // A failed check must not leave the appliance (and the writers looping on it), nor the agent, behind.
    running?.child.kill('SIGKILL');
    if (!roundsPassed) agent?.kill('SIGKILL');
  }
  assert.ok(projects.length + admitted.size >= ROUNDS * 10, 'enough writes were acknowledged to mean something');

  // The hosts whose answers were lost try again with the same keys, as their agents would.
  const appliance = await startServe(['--data-dir', dir]);
  try {
    for (const [id, keys] of unanswered) {
      const request = buildEnrolmentRequest(keys, { name: 'retry', joinCode, now: new Date(), nonce: randomBytes(16).toString('base64url'), addresses: [], agentVersion: 'test', inventory: null });
      const answer = await call<EnrolmentAnswer>('POST', '/api/v1/enrolments', request);
      assert.is(answer.status, 200, JSON.stringify(answer.body));
      assert.is(answer.body.state, 'admitted', `host ${id} re-enrolling after a lost answer`);
      admitted.set(id, keys);
    }
    // The agent converges: active again, with a heartbeat sent to this controller process.
    const restartedAt = new Date().toISOString();
    assert.ok(agentHostId, 'the agent named its host id');
    const deadline = Date.now() + 30_000;
    let seen: { state?: string; lastHeartbeatAt?: string | null } = {};
    while (Date.now() < deadline) {
      seen = (await call<{ host: typeof seen }>('GET', `/api/v1/hosts/${agentHostId}`, undefined, token)).body.host ?? {};
      if (seen.state === 'active' && (seen.lastHeartbeatAt ?? '') > restartedAt) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.is(seen.state, 'active', `the agent's host after the kills: ${JSON.stringify(seen)}`);
    assert.ok((seen.lastHeartbeatAt ?? '') > restartedAt, `the agent heartbeats to the restarted controller: ${JSON.stringify(seen)}`);

    const tokens = await call<{ joinTokens: { id: string; uses: number }[] }>('GET', '/api/v1/join-tokens', undefined, token);
    const uses = tokens.body.joinTokens.find((t) => t.id === joinCode.id)?.uses;
    assert.is(uses, admitted.size + 1, 'one join token use per distinct host (and one for the agent), however many times a request was sent');
  } finally {
    agent?.kill('SIGKILL');
    appliance.child.kill('SIGTERM');
    await appliance.exited;
  }
});

test.run();
