import { networkInterfaces } from 'node:os';
import { Advertiser } from './advertiser.ts';
import { Browser } from './browser.ts';
import type { DiscoveredNode } from './instances.ts';
import { MdnsTransport, type DropReason } from './mdns-transport.ts';
import { readLinkFacts, sameInterfaces, selectInterfaces, type MdnsInterface } from './network-interfaces.ts';
import type { Advertisement } from './records.ts';
import type { NodeRole } from './txt.ts';

// mDNS wired together: the sockets, the interfaces they run on (watched, since
// links come and go), an optional advertiser for this node, and a browser.

export interface DiscoveryOptions {
  /** Interface names to use; empty for every suitable one. */
  readonly interfaces: readonly string[];
  readonly advertise?: Advertisement | undefined;
  readonly ttl: number;
  readonly browse: readonly NodeRole[];
  readonly onChange?: (nodes: readonly DiscoveredNode[]) => void;
  readonly onDrop?: (reason: DropReason) => void;
  readonly onWarning?: (message: string) => void;
  readonly onRenamed?: (from: string, to: string) => void;
  /** How often links and addresses are looked at. */
  readonly watchIntervalMs?: number;
}

export interface Discovery {
  readonly nodes: () => readonly DiscoveredNode[];
  /** Our instance name now (after any conflict renames), if advertising. */
  readonly instance: () => string | undefined;
  readonly interfaces: () => readonly MdnsInterface[];
  /** Resolves when the advertised name is probed and announced. */
  readonly announced: Promise<void>;
  close(): Promise<void>;
}

export async function openDiscovery(options: DiscoveryOptions): Promise<Discovery> {
  const current = () => selectInterfaces(networkInterfaces(), readLinkFacts, options.interfaces);
  // Packets may arrive before the browser and advertiser exist; until then they go nowhere.
  const to: { browser?: Browser; advertiser?: Advertiser } = {};
  const transport = await MdnsTransport.open({
    onPacket: (p) => {
      to.advertiser?.handle(p);
      to.browser?.handle(p);
    },
    onDrop: (reason) => options.onDrop?.(reason),
    onWarning: (message) => options.onWarning?.(message),
  });
  transport.setInterfaces(current());
  const browser = new Browser({ transport, roles: options.browse, ...(options.onChange ? { onChange: options.onChange } : {}) });
  to.browser = browser;
  if (options.advertise !== undefined) {
    to.advertiser = new Advertiser({ transport, advertisement: options.advertise, ttl: options.ttl, ...(options.onRenamed ? { onRenamed: options.onRenamed } : {}) });
  }
  const advertiser = to.advertiser;
  const announced = advertiser?.start() ?? Promise.resolve();
  browser.start();

  const watch = setInterval(() => {
    const before = transport.interfaces;
    const after = current();
    if (sameInterfaces(before, after)) return;
    transport.setInterfaces(after);
    const removed = before.filter((b) => !after.some((a) => a.name === b.name)).map((b) => b.name);
    const changed = after.filter((a) => !before.some((b) => sameInterfaces([a], [b])));
    browser.interfacesChanged(changed, removed);
    advertiser?.interfacesChanged(changed, before);
  }, options.watchIntervalMs ?? 2000);
  watch.unref();

  return {
    nodes: () => browser.nodes,
    instance: () => advertiser?.instance,
    interfaces: () => transport.interfaces,
    announced,
    async close() {
      clearInterval(watch);
      browser.stop();
      await advertiser?.stop();
      await transport.close();
    },
  };
}
