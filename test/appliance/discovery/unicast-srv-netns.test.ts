// The unicast fallback against a real DNS server: dnsmasq in one namespace
// publishes _alliance._tcp SRV records; `alliance discover` in another, whose
// resolv.conf names that dnsmasq, lists them in priority order beside the
// configured peers, and a zone without records is no error.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, tempDir } from '../../_support/appliance-process.ts';
import { createTestNetwork } from '../../_support/netns.ts';

interface Listed {
  nodes: { via: string[]; host?: string; port?: number; node: unknown }[];
  warnings: string[];
}

const net = createTestNetwork('dsrv', 2, 80);
const [server, client] = net.hosts as [(typeof net.hosts)[0], (typeof net.hosts)[0]];
const root = tempDir('discovery-srv');
// `ip netns exec` mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf for the command.
const netnsEtc = join('/etc/netns', client.ns);
let dnsmasq: ChildProcess | undefined;

test.before(async () => {
  mkdirSync(netnsEtc, { recursive: true });
  writeFileSync(join(netnsEtc, 'resolv.conf'), `nameserver ${server.v4}\n`);
  dnsmasq = spawn('ip', [
    'netns', 'exec', server.ns, 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces',
    `--listen-address=${server.v4}`, '--port=53', `--pid-file=${join(root, 'dnsmasq.pid')}`,
    // Given out of order on purpose: the lower priority number comes first (RFC 2782).
    // Authoritative for both zones, so a missing name is NXDOMAIN; refused.example gets REFUSED.
    '--local=/lab.example/', '--local=/empty.example/',
    '--srv-host=_alliance._tcp.lab.example,backup.lab.example,9443,20,0',
    '--srv-host=_alliance._tcp.lab.example,primary.lab.example,8443,10,0',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  dnsmasq.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // Ready once it answers on port 53.
  const deadline = Date.now() + 5000;
  while (!net.run(server.ns, ['ss', '-Hlun', `sport = :53`]).includes(server.v4)) {
    if (Date.now() > deadline || dnsmasq.exitCode !== null) assert.unreachable(`dnsmasq did not start: ${stderr}`);
    await sleep(100);
  }
});

test.after(() => {
  dnsmasq?.kill('SIGKILL');
  net.destroy();
  rmSync(netnsEtc, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

function discover(domain: string): Listed {
  const r = runCli(['discover', '--json', '--timeout', '300', '--data-dir', join(root, 'none'), '--set', `discovery.srv_domain=${domain}`, '--set', 'discovery.peers=10.80.0.99:8443'], { netns: client.ns });
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Listed;
}

test('SRV records of _alliance._tcp.<domain> are listed by priority, after the configured peers, with no identity claimed', () => {
  const listed = discover('lab.example');
  const unicast = listed.nodes.filter((n) => !n.via.includes('eth0')).map((n) => `${n.via.join(',')} ${n.host}:${n.port}`);
  assert.equal(unicast, ['config 10.80.0.99:8443', 'dns-srv primary.lab.example:8443', 'dns-srv backup.lab.example:9443']);
  assert.ok(listed.nodes.filter((n) => n.via.includes('dns-srv')).every((n) => n.node === null), 'a DNS record says where, never who');
  assert.equal(listed.warnings, []);
});

test('a domain with no SRV records lists none, and is not an error', () => {
  const listed = discover('empty.example');
  assert.equal(listed.nodes.filter((n) => n.via.includes('dns-srv')), []);
  assert.equal(listed.warnings, []);
});

test('a DNS server that refuses the lookup is a warning in the listing; mDNS results and the configured peers still come', () => {
  const listed = discover('refused.example');
  assert.equal(listed.nodes.filter((n) => n.via.includes('config')).length, 1);
  assert.equal(listed.warnings.length, 1, JSON.stringify(listed.warnings));
  assert.match(listed.warnings[0]!, /cannot look up SRV _alliance\._tcp\.refused\.example: .*EREFUSED/);
});

test.run();
