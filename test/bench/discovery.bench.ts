// Discovery on a namespace bridge, ours against avahi-daemon measured in the same run
// by the same browser (ours, in a third namespace):
//  - time from an instance starting to being seen (p50/p99), and from its stop to
//    its goodbye being seen;
//  - 200 instances on the bridge: time until all are seen, CPU used by the publisher.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { withAvahiLab, DISCOVERY_MODULE } from '../_support/avahi.ts';

const RUNS = Number(process.env.DISCOVERY_BENCH_RUNS ?? 15);
const MANY = 200;
const MODULE_DIR = DISCOVERY_MODULE.replace(/index\.ts$/, '');

const BROWSER = `
import { openDiscovery } from ${JSON.stringify(DISCOVERY_MODULE)};
let before = new Set();
await openDiscovery({ interfaces: [], ttl: 120, browse: ['appliance'], onChange: (nodes) => {
  const now = Date.now();
  const names = new Set(nodes.map((n) => n.instance));
  for (const n of names) if (!before.has(n)) console.log('seen', n, now);
  for (const n of before) if (!names.has(n)) console.log('gone', n, now);
  before = names;
} });
`;

const nodeId = (i: number) => `${'abcdefghijklmnopqrstuvwxyz234567'[i % 32]!}${'q'.repeat(51)}`;

const OUR_PUBLISHER = `
import { openDiscovery } from ${JSON.stringify(DISCOVERY_MODULE)};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < ${RUNS}; i += 1) {
  const started = Date.now();
  const d = await openDiscovery({ interfaces: [], ttl: 120, browse: [], advertise: { instance: 'ours-' + i, node: { clusterId: '', nodeId: ${JSON.stringify(nodeId(1))}, role: 'appliance', version: '1.0.0', apiPort: 8443, busPort: 0 } } });
  console.log('start', 'ours-' + i, started);
  await d.announced;
  await sleep(1200);
  console.log('stop', 'ours-' + i, Date.now());
  await d.close();
  await sleep(600);
}
console.log('done');
`;

// 200 instances through one transport, as one stack publishing many services (like one avahi-daemon).
const OUR_MANY = `
import { MdnsTransport } from ${JSON.stringify(`${MODULE_DIR}mdns-transport.ts`)};
import { Advertiser } from ${JSON.stringify(`${MODULE_DIR}advertiser.ts`)};
import { selectInterfaces, readLinkFacts } from ${JSON.stringify(`${MODULE_DIR}network-interfaces.ts`)};
import { networkInterfaces } from 'node:os';
const ads = [];
const transport = await MdnsTransport.open({ onPacket: (p) => { for (const a of ads) a.handle(p); }, onDrop: () => {}, onWarning: () => {} });
transport.setInterfaces(selectInterfaces(networkInterfaces(), readLinkFacts, []));
const cpu0 = process.cpuUsage();
console.log('start', Date.now());
for (let i = 0; i < ${MANY}; i += 1) {
  ads.push(new Advertiser({ transport, ttl: 120, advertisement: { instance: 'many-' + i, node: { clusterId: '', nodeId: ${JSON.stringify(nodeId(2))}, role: 'appliance', version: '1.0.0', apiPort: 8443, busPort: 0 } } }));
}
await Promise.all(ads.map((a) => a.start()));
await new Promise((r) => setTimeout(r, 3000));
const cpu = process.cpuUsage(cpu0);
console.log('cpu', (cpu.user + cpu.system) / 1000);
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function latencies(browserOut: string, publisherEvents: [string, string, number][], from: 'start' | 'stop', to: 'seen' | 'gone'): number[] {
  const marks = new Map<string, number>();
  for (const line of browserOut.split('\n')) {
    const [event, name, at] = line.split(' ');
    if (event === to && name !== undefined && !marks.has(name)) marks.set(name, Number(at));
  }
  return publisherEvents.filter(([e]) => e === from).map(([, name, at]) => (marks.get(name) ?? NaN) - at).filter((n) => Number.isFinite(n)).sort((a, b) => a - b);
}

function cpuMsOfPid(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in clock ticks (100 Hz)
}

await withAvahiLab(3, async (lab) => {
  const [, ourHost, browserHost] = lab.net.hosts as [unknown, (typeof lab.net.hosts)[number], (typeof lab.net.hosts)[number]];
  const browser = lab.node(browserHost, 'browser', BROWSER);
  await new Promise((r) => setTimeout(r, 500));

  // Ours: start, announce, stop with goodbyes, RUNS times.
  const ours = lab.node(ourHost, 'publisher', OUR_PUBLISHER);
  await ours.until((out) => (out.includes('done') ? true : undefined), 'our publisher to finish', RUNS * 5000);
  const ourEvents = ours.stdout().split('\n').map((l) => l.split(' ')).filter((f) => f.length === 3).map(([e, n, t]) => [e!, n!, Number(t)] as [string, string, number]);

  // avahi: avahi-publish through the daemon, ended with SIGTERM (it withdraws the service: goodbye).
  const avahiEvents: [string, string, number][] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const name = `avahi-${i}`;
    avahiEvents.push(['start', name, Date.now()]);
    const pub = lab.avahiClient('avahi-publish', ['-s', name, '_alliance._tcp', '8443', 'txtvers=1', `node=${nodeId(3)}`, 'role=appliance', 'cluster=', 'version=1.0.0', 'api=8443', 'bus=0']);
    await browser.until((out) => (out.includes(`seen ${name} `) ? true : undefined), `${name} to be seen`);
    await new Promise((r) => setTimeout(r, 1200));
    avahiEvents.push(['stop', name, Date.now()]);
    pub.signal('SIGTERM');
    await pub.exited;
    await new Promise((r) => setTimeout(r, 600));
  }
  await new Promise((r) => setTimeout(r, 1500));
  const out = browser.stdout();

  const row = (label: string, o: number[], a: number[]) => {
    const [o50, o99, a50, a99] = [percentile(o, 50), percentile(o, 99), percentile(a, 50), percentile(a, 99)];
    console.log(`${label.padEnd(22)} ours p50 ${o50} ms p99 ${o99} ms (n=${o.length}) | avahi p50 ${a50} ms p99 ${a99} ms (n=${a.length}) | ratio p50 ${(o50 / a50).toFixed(2)}x p99 ${(o99 / a99).toFixed(2)}x`);
  };
  row('start -> seen', latencies(out, ourEvents, 'start', 'seen'), latencies(out, avahiEvents, 'start', 'seen'));
  row('stop -> goodbye seen', latencies(out, ourEvents, 'stop', 'gone'), latencies(out, avahiEvents, 'stop', 'gone'));

  // 200 instances.
  const seenMany = (prefix: string) => (text: string) => new Set(text.split('\n').filter((l) => l.startsWith(`seen ${prefix}`)).map((l) => l.split(' ')[1])).size;
  const manyStart = Date.now();
  const many = lab.node(ourHost, 'many', OUR_MANY);
  // A shortfall is a figure to report, not a crash of the benchmark.
  await browser.until((text) => (seenMany('many-')(text) >= MANY ? true : undefined), `${MANY} of ours to be seen`, 60_000).catch(() => undefined);
  const ourAll = Date.now() - manyStart;
  console.log(`${MANY} instances: ours seen ${seenMany('many-')(browser.stdout())} of ${MANY}`);
  const ourCpu = await many.until((text) => /cpu (\S+)/.exec(text)?.[1], 'our publisher CPU', 30_000).then(Number);

  const daemonPid = Number(execFileSync('pgrep', ['-n', '-x', 'avahi-daemon'], { encoding: 'utf8' }).trim());
  const cpuBefore = cpuMsOfPid(daemonPid);
  const avahiStart = Date.now();
  for (let i = 0; i < MANY; i += 1) lab.avahiClient('avahi-publish', ['-s', `amany-${i}`, '_alliance._tcp', '8443', 'txtvers=1', `node=${nodeId(4)}`, 'role=appliance', 'cluster=', 'version=1.0.0', 'api=8443', 'bus=0']);
  await browser.until((text) => (seenMany('amany-')(text) >= MANY ? true : undefined), `${MANY} of avahi's to be seen`, 90_000).catch(() => undefined);
  const avahiAll = Date.now() - avahiStart;
  console.log(`${MANY} instances: avahi's seen ${seenMany('amany-')(browser.stdout())} of ${MANY}`);
  await new Promise((r) => setTimeout(r, 3000));
  const avahiCpu = cpuMsOfPid(daemonPid) - cpuBefore;
  console.log(`${MANY} instances: all seen after ours ${ourAll} ms | avahi ${avahiAll} ms | ratio ${(ourAll / avahiAll).toFixed(2)}x`);
  console.log(`${MANY} instances: publisher CPU ours ${ourCpu.toFixed(0)} ms | avahi-daemon ${avahiCpu.toFixed(0)} ms | ratio ${(ourCpu / avahiCpu).toFixed(2)}x (avahi's excludes its ${MANY} avahi-publish clients)`);
});
