// The iPXE endpoint in process (Fastify inject): what each machine is told
// under each policy, that join codes are minted only where the policy admits,
// that a silent controller is a 503 rather than a wrong answer, and that the
// image files are served by a closed set of names.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiServer } from '../../../appliance/api/index.ts';
import type { HostState } from '../../../appliance/contracts/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import type { BootDecision } from '../../../services/boot/boot-decision.ts';
import { bootHttpRoutes, type BootHttpDeps } from '../../../services/boot/boot-http-routes.ts';

const FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i + 16).toString(16).toUpperCase()).join(':');
const JOIN = 'abcdefghijklmnop.abcdefghijklmnopqrstuvwxyz234567';
const KNOWN = '52:54:00:00:00:0a';
const STRANGER = '52:54:00:00:00:0b';

let imageDir: string;
let app: FastifyInstance;
let minted: { mac: string; address: string }[];
let decisions: BootDecision[];
let lookups: string[];
let certificateReads: number;

async function endpoint(policy: BootHttpDeps['policy'], hosts: Record<string, HostState>, controllerUp = true): Promise<FastifyInstance> {
  const server = createApiServer({ log: createLogger('fatal'), bodyLimit: 1024 });
  await server.register(
    bootHttpRoutes({
      applianceUrl: 'http://10.9.0.1:8081',
      controller: '10.9.0.1:8443',
      fingerprint: () => {
        certificateReads += 1;
        return FINGERPRINT;
      },
      policy,
      imageDir,
      hostByMac: (mac) => (lookups.push(mac), controllerUp ? Promise.resolve(hosts[mac] === undefined ? undefined : { id: `host-${mac.slice(-2)}`, state: hosts[mac] }) : Promise.reject(new Error('APL_BUS_DEADLINE'))),
      joinCode: (mac, address) => {
        minted.push({ mac, address });
        return Promise.resolve(JOIN);
      },
      log: createLogger('fatal'),
      onDecision: (decision) => decisions.push(decision),
    }),
  );
  return server;
}

test.before.each(() => {
  imageDir = mkdtempSync(join(tmpdir(), 'alliance-boot-image-'));
  mkdirSync(join(imageDir, 'x86_64'));
  writeFileSync(join(imageDir, 'x86_64', 'vmlinuz'), 'KERNEL');
  minted = [];
  decisions = [];
  lookups = [];
  certificateReads = 0;
});

test.after.each(async () => {
  await app?.close();
  rmSync(imageDir, { recursive: true, force: true });
});

const hostUrl = (mac: string, platform = 'pcbios') => `/boot/host?mac=${mac}&arch=x86_64&platform=${platform}&version=1.0.0`;

test('GET /boot/ipxe is the first stage: it chains to /boot/host with the MAC and firmware', async () => {
  app = await endpoint('discover', {});
  const answer = await app.inject({ url: '/boot/ipxe' });
  assert.is(answer.statusCode, 200);
  assert.match(answer.headers['content-type'] as string, /^text\/plain/);
  assert.match(answer.body, /^#!ipxe\nchain --autofree http:\/\/10\.9\.0\.1:8081\/boot\/host\?mac=\$\{net0\/mac\}&arch=\$\{buildarch\}/);
});

// policy, hosts, MAC → what the script must and must not say, and whether a join code is minted.
const cases: Record<string, [BootHttpDeps['policy'], Record<string, HostState>, string, RegExp, boolean]> = {
  'a stranger under discover enrols without a join code': ['discover', {}, STRANGER, /enrolling 52:54:00:00:00:0b\nkernel http:\/\/10\.9\.0\.1:8081\/boot\/image\/x86_64\/vmlinuz initrd=initrd\.img alliance\.controller=10\.9\.0\.1:8443 alliance\.fingerprint=10:11/, false],
  'a stranger under admit gets a join code': ['admit', {}, STRANGER, /alliance\.controller=10\.9\.0\.1:8443 alliance\.join=abcdefghijklmnop\./, true],
  'a stranger under ignore is denied': ['ignore', {}, STRANGER, /not booting 52:54:00:00:00:0b: this MAC address belongs to no host/, false],
  'an active host boots the image without a code under discover': ['discover', { [KNOWN]: 'active' }, KNOWN, /booting host 52:54:00:00:00:0a/, false],
  'an active host gets a code under admit (its stateless image enrols again)': ['admit', { [KNOWN]: 'active' }, KNOWN, /booting host .*\nkernel .*alliance\.join=/, true],
  'a rejected host is denied even under admit': ['admit', { [KNOWN]: 'rejected' }, KNOWN, /not booting 52:54:00:00:00:0a: an operator rejected this machine/, false],
  'a known host under ignore still boots': ['ignore', { [KNOWN]: 'pending' }, KNOWN, /enrolling 52:54:00:00:00:0a/, false],
};
for (const [name, [policy, hosts, mac, expected, mints]] of Object.entries(cases)) {
  test(`GET /boot/host: ${name}`, async () => {
    app = await endpoint(policy, hosts);
    const answer = await app.inject({ url: hostUrl(mac), remoteAddress: '10.9.0.120' });
    assert.is(answer.statusCode, 200);
    assert.is(answer.headers['cache-control'], 'no-store');
    assert.match(answer.body, expected);
    assert.is(/alliance\.join=/.test(answer.body), mints, 'a join code on the command line exactly when one was minted');
    assert.equal(minted, mints ? [{ mac, address: '10.9.0.120' }] : []);
    assert.is(decisions.length, 1);
    assert.is(certificateReads, decisions[0]!.kind === 'deny' ? 0 : 1, 'the certificate is read only for a script that boots the image');
  });
}

test('GET /boot/host with a garbage MAC is a deny script; nothing is looked up or minted', async () => {
  app = await endpoint('admit', {});
  const answer = await app.inject({ url: `/boot/host?mac=${encodeURIComponent('aa:bb || shell')}&arch=x86_64&platform=efi` });
  assert.is(answer.statusCode, 200);
  assert.match(answer.body, /not booting this machine: the request did not carry a MAC address/);
  assert.equal(minted, []);
  assert.equal(lookups, []);
  assert.is(certificateReads, 0, 'a deny reads no certificate');
});

test('GET /boot/host refuses an over-long parameter with a 400', async () => {
  app = await endpoint('admit', {});
  const answer = await app.inject({ url: `/boot/host?mac=${'a'.repeat(65)}&arch=x86_64&platform=efi` });
  assert.is(answer.statusCode, 400);
  assert.equal(minted, []);
});

test('GET /boot/host is a 503 while the controller does not answer: no script to guess with', async () => {
  app = await endpoint('admit', {}, false);
  const answer = await app.inject({ url: hostUrl(STRANGER) });
  assert.is(answer.statusCode, 503);
  assert.equal(minted, []);
  assert.equal(decisions, []);
});

test('GET /boot/image serves the image files with their length, and nothing outside the closed set of names', async () => {
  app = await endpoint('discover', {});
  const kernel = await app.inject({ url: '/boot/image/x86_64/vmlinuz' });
  assert.is(kernel.statusCode, 200);
  assert.is(kernel.body, 'KERNEL');
  assert.is(kernel.headers['content-length'], '6');
  assert.is((await app.inject({ url: '/boot/image/x86_64/initrd.img' })).statusCode, 404, 'a missing file');
  assert.is((await app.inject({ url: '/boot/image/x86_64/..%2F..%2Fetc%2Fpasswd' })).statusCode, 400);
  assert.is((await app.inject({ url: '/boot/image/riscv64/vmlinuz' })).statusCode, 400);
});

test.run();
