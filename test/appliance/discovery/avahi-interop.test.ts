// Discovery against another mDNS stack: Debian's Avahi 0.8 at the other end, over
// a bridge between network namespaces. avahi-browse resolves what our advertiser
// publishes, and our browser finds what avahi-publish publishes; each side also
// sees the other's goodbye.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeTxt, type AdvertisedNode, type DiscoveredNode } from '../../../appliance/discovery/index.ts';
import { DISCOVERY_MODULE, parseBrowse, withAvahiLab, type BrowseLine } from '../../_support/avahi.ts';
import type { TestHost, TestNetwork } from '../../_support/netns.ts';

const PROTOCOLS = ['IPv4', 'IPv6'] as const;

/** Our browser's script: prints every change of the visible nodes as a JSON line. */
const BROWSER = `
import { openDiscovery } from ${JSON.stringify(DISCOVERY_MODULE)};
const discovery = await openDiscovery({
  interfaces: ['eth0'],
  ttl: 120,
  browse: ['appliance'],
  onChange: (nodes) => console.log(JSON.stringify(nodes)),
  onWarning: (message) => console.error('warning: ' + message),
});
process.once('SIGTERM', () => void discovery.close());
console.log('browsing');
`;

/** Our advertiser's script: SIGTERM closes it, which says goodbye. */
function advertiser(instance: string, node: AdvertisedNode): string {
  return `
import { openDiscovery } from ${JSON.stringify(DISCOVERY_MODULE)};
const discovery = await openDiscovery({
  interfaces: ['eth0'],
  ttl: 120,
  browse: [],
  advertise: ${JSON.stringify({ instance, node })},
  onWarning: (message) => console.error('warning: ' + message),
});
process.once('SIGTERM', () => void discovery.close().then(() => console.log('closed')));
await discovery.announced;
console.log('announced ' + JSON.stringify(discovery.instance()));
`;
}

function linkLocal(net: TestNetwork, host: TestHost): string {
  const v6 = /inet6 (fe80::[0-9a-f:]+)\//.exec(net.run(host.ns, ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link']))?.[1];
  if (v6 === undefined) throw new Error(`${host.ns} has no IPv6 link-local address`);
  return v6;
}

/** The node lists our browser has printed, oldest first (complete lines only). */
function nodeLists(stdout: string): DiscoveredNode[][] {
  return stdout
    .slice(0, stdout.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.startsWith('['))
    .map((line) => JSON.parse(line) as DiscoveredNode[]);
}

test('avahi-browse resolves the instance our advertiser publishes, with our TXT, address and port, and sees it go on our goodbye', () =>
  withAvahiLab(2, async (lab) => {
    const [, b] = lab.net.hosts;
    // A space and a non-ASCII letter: Avahi escapes both, so the name must come through byte for byte.
    const instance = 'rack 3 süd';
    const node: AdvertisedNode = { clusterId: '', nodeId: 'p7fvv73dltwj5vvog7kmciqb4j4en7qwcye7asuaos4gpt3uqvsq', role: 'appliance', version: '1.0.0', apiPort: 8443, busPort: 0 };
    const browse = lab.avahiClient('avahi-browse', ['--resolve', '--parsable', '--no-db-lookup', '_alliance._tcp']);
    const ours = lab.node(b!, 'advertiser', advertiser(instance, node));
    await ours.until((out) => (out.includes('announced') ? true : undefined), 'our advertiser to announce');
    assert.match(ours.stdout(), `announced ${JSON.stringify(instance)}`, 'renamed: someone else held the name');

    // Avahi browses and resolves over each protocol on its own.
    const resolved = await browse.until((out) => {
      const lines = parseBrowse(out).filter((l) => l.event === '=' && l.name === instance);
      return PROTOCOLS.every((p) => lines.some((l) => l.protocol === p)) ? lines : undefined;
    }, 'avahi-browse to resolve our instance over IPv4 and IPv6');
    const v6 = linkLocal(lab.net, b!);
    const host = `alliance-${node.nodeId.slice(0, 16)}.local`;
    const txt = encodeTxt(node).map((s) => s.toString('utf8'));
    for (const line of resolved) {
      // Avahi takes the first address record that answers, A or AAAA, whichever protocol it browsed on.
      assert.ok(line.address === b!.v4 || line.address === v6, `${line.protocol} resolved to ${line.address}, not one of host B's`);
      const expected: BrowseLine = { event: '=', iface: 'eth0', protocol: line.protocol, name: instance, type: '_alliance._tcp', domain: 'local', host, address: line.address, port: node.apiPort, txt };
      // TXT order is Avahi's business (it lists the strings back to front); the strings are ours.
      assert.equal({ ...line, txt: [...line.txt!].sort() }, { ...expected, txt: [...txt].sort() }, `avahi-browse output: ${browse.stdout()}`);
    }
    // Each browse line shows one address: ask for each family's record on its own.
    for (const [family, address] of [['-4', b!.v4], ['-6', v6]] as const) {
      const resolve = lab.avahiClient('avahi-resolve', ['--name', host, family]);
      assert.equal(await resolve.ended(`avahi-resolve ${family}`), { code: 0, signal: null }, `avahi-resolve ${family}: ${resolve.stderr()}`);
      assert.is(resolve.stdout(), `${host}\t${address}\n`);
    }

    ours.signal('SIGTERM');
    // close() resolves after the goodbyes are sent; then nothing keeps the process alive.
    await ours.until((out) => (out.includes('closed') ? true : undefined), 'our advertiser to close');
    assert.equal(await ours.ended('our advertiser'), { code: 0, signal: null }, ours.stderr());
    const removed = await browse.until((out) => {
      const lines = parseBrowse(out).filter((l) => l.event === '-' && l.name === instance);
      return PROTOCOLS.every((p) => lines.some((l) => l.protocol === p)) ? lines : undefined;
    }, 'avahi-browse to see our goodbye over IPv4 and IPv6');
    assert.equal(removed.map((l) => `${l.iface} ${l.protocol}`).sort(), ['eth0 IPv4', 'eth0 IPv6']);
    assert.is(ours.stderr(), '', 'our advertiser warned');
  }));

test('our browser finds the instance avahi-publish publishes, node decoded from its TXT, and drops it on the goodbye when avahi-publish ends', () =>
  withAvahiLab(3, async (lab) => {
    const [a, , c] = lab.net.hosts;
    const addresses = [a!.v4, linkLocal(lab.net, a!)].sort();
    const instance = 'avahi rack 7';
    const nodeId = 'xxgyerzu7rqtwwqe2evb7hn4mtyziytk5yucoxksj6smwfzoboja';
    const ours = lab.node(c!, 'browser', BROWSER);
    await ours.until((out) => (out.includes('browsing') ? true : undefined), 'our browser to start');
    const publish = lab.avahiClient('avahi-publish', ['-s', instance, '_alliance._tcp', '9443', 'txtvers=1', `node=${nodeId}`, 'role=appliance', 'cluster=', 'version=1.0.0', 'api=9443', 'bus=0']);
    await publish.until((_, err) => (err.includes(`Established under name '${instance}'`) ? true : undefined), 'avahi-publish to establish its service');

    // Complete: the TXT decoded and both addresses of the avahi host (A and AAAA) known.
    const found = await ours.until((out) => {
      const latest = nodeLists(out).at(-1) ?? [];
      return latest.find((n) => n.instance === instance && n.node !== null && n.addresses.length === addresses.length);
    }, 'our browser to resolve the avahi-published instance');
    const expected: DiscoveredNode = {
      instance,
      role: 'appliance',
      via: ['eth0'],
      host: lab.avahi.hostName,
      port: 9443,
      addresses,
      node: { clusterId: '', nodeId, role: 'appliance', version: '1.0.0', apiPort: 9443, busPort: 0 },
    };
    assert.equal(found, expected);

    publish.signal('SIGTERM');
    assert.equal(await publish.ended('avahi-publish'), { code: 0, signal: null }, publish.stderr());
    // The goodbye, not expiry: Avahi gives these records 120 s (SRV) and 75 min (PTR, TXT) to live.
    await ours.until((out) => {
      const lists = nodeLists(out);
      return lists.length > 0 && !lists.at(-1)!.some((n) => n.instance === instance) ? true : undefined;
    }, 'our browser to drop the instance after avahi-publish ended');
    assert.is(ours.stderr(), '', 'our browser warned');
  }));

test.run();
