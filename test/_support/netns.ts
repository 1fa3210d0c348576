// Test networks: network namespaces joined by veth pairs to one bridge, which
// itself lives in a namespace of its own, so nothing touches the machine's network.
import { execFileSync } from 'node:child_process';

export interface TestHost {
  /** Namespace name, for `ip netns exec`. */
  readonly ns: string;
  /** Its interface on the bridge. */
  readonly iface: 'eth0';
  readonly v4: string;
}

export interface TestNetwork {
  readonly hosts: readonly TestHost[];
  /** Runs a command in a host's namespace (or the bridge's, with ns = bridge). */
  readonly run: (ns: string, command: readonly string[]) => string;
  readonly bridge: string;
  /** Brings a host's link down or up. */
  link(host: TestHost, state: 'up' | 'down'): void;
  destroy(): void;
}

function ip(args: readonly string[]): string {
  return execFileSync('ip', [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `count` hosts on one bridge, with IPv4 10.<subnet>.0.<i>/24 and IPv6 link-local addresses ready (no DAD wait). */
export function createTestNetwork(name: string, count: number, subnet = 77): TestNetwork {
  const prefix = `${name}-${process.pid % 10000}`;
  const bridge = `${prefix}-br`;
  const hosts: TestHost[] = [];
  const made: string[] = [];
  const destroy = () => {
    for (const ns of made.reverse()) {
      try {
        ip(['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
  };
  try {
    ip(['netns', 'add', bridge]);
    made.push(bridge);
    ip(['-n', bridge, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', bridge, 'link', 'set', 'br0', 'up']);
    for (let i = 1; i <= count; i += 1) {
      const ns = `${prefix}-h${i}`;
      ip(['netns', 'add', ns]);
      made.push(ns);
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
      ip(['-n', bridge, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      ip(['-n', bridge, 'link', 'set', `p${i}`, 'master', 'br0', 'up']);
      const v4 = `10.${subnet}.0.${i}`;
      ip(['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      hosts.push({ ns, iface: 'eth0', v4 });
    }
  } catch (err) {
    destroy();
    throw err;
  }
  return {
    hosts,
    bridge,
    run: (ns, command) => execFileSync('ip', ['netns', 'exec', ns, ...command], { encoding: 'utf8' }),
    link: (host, state) => void ip(['-n', host.ns, 'link', 'set', host.iface, state]),
    destroy,
  };
}
