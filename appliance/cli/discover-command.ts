import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/index.ts';
import { diagnose, formatFindings, gatherNetworkFacts, interfaceList, lookupSrvPeers, openDiscovery, parsePeers, peersAsNodes, type DiscoveredNode } from '../discovery/index.ts';
import { cliErrors } from './errors.ts';
import { formatDiscovered } from './format-discovery.ts';
import type { CommandLine } from './parse-command-line.ts';

const DEFAULT_WAIT_MS = 3000;

/** `alliance discover`: browses on its own (no running appliance needed), then adds the unicast peers. */
export async function discover(cmd: CommandLine, config: Config, out: (text: string) => void): Promise<number> {
  const only = interfaceList(config.discovery.interfaces);
  if (cmd.options.diagnose !== undefined) {
    const findings = diagnose(await gatherNetworkFacts(), { interfaces: only });
    out(cmd.json ? `${JSON.stringify({ findings }, null, 2)}\n` : formatFindings(findings));
    // A problem found is what the operator asked about, not a failure of the command; 1 lets scripts notice.
    return findings.some((f) => f.severity === 'problem') ? 1 : 0;
  }
  const waitMs = cmd.options.timeout === undefined ? DEFAULT_WAIT_MS : Number(cmd.options.timeout);
  if (!Number.isInteger(waitMs) || waitMs < 100 || waitMs > 600_000) throw cliErrors.USAGE({ problem: `--timeout must be milliseconds between 100 and 600000, got "${cmd.options.timeout}"` });
  let peers: DiscoveredNode[];
  try {
    peers = peersAsNodes(parsePeers(config.discovery.peers), 'config');
  } catch (err) {
    throw cliErrors.USAGE({ problem: `discovery.peers: ${(err as Error).message}` });
  }
  const warnings: string[] = [];
  // Settled at once into nodes or a warning: a lookup that fails while mDNS is
  // still listening must not be an unhandled rejection (it ended the process).
  const srv = (config.discovery.srv_domain === '' ? Promise.resolve([]) : lookupSrvPeers(config.discovery.srv_domain)).then(
    (found) => peersAsNodes(found, 'dns-srv'),
    (err: unknown) => {
      warnings.push((err as Error).message);
      return [];
    },
  );
  const mdns = await openDiscovery({
    interfaces: only,
    ttl: config.discovery.ttl_s,
    browse: ['appliance', 'host'],
    onWarning: (m) => warnings.push(m),
  });
  await sleep(waitMs);
  const interfaces = mdns.interfaces().map((i) => i.name);
  const seen = mdns.nodes();
  await mdns.close();
  const srvPeers = await srv;
  const nodes = [...seen, ...peers, ...srvPeers];
  out(cmd.json ? `${JSON.stringify({ interfaces, waitedMs: waitMs, nodes, warnings }, null, 2)}\n` : formatDiscovered(nodes, waitMs, interfaces) + warnings.map((w) => `warning: ${w}\n`).join(''));
  return 0;
}
