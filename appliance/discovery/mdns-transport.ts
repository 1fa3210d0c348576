import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import dnsPacket, { type Packet } from 'dns-packet';
import { fromWire, toWire, type MdnsRecord } from './records.ts';
import type { MdnsQuestion } from './responder-decisions.ts';
import { interfaceOfSource, type MdnsInterface } from './network-interfaces.ts';

// One UDP socket per address family on port 5353, joined to the mDNS group on
// each chosen interface. Linux hands every joined group's packets to every such
// socket, so the arrival interface is judged from the source address; sends pick
// their interface one at a time (IP_MULTICAST_IF), hence the send queue.

export const MDNS_PORT = 5353;
const GROUP_V4 = '224.0.0.251';
const GROUP_V6 = 'ff02::fb';
/** RFC 6762 §17: a multicast DNS packet is at most 9000 bytes. */
export const MAX_PACKET = 9000;

export interface ReceivedPacket {
  readonly kind: 'query' | 'response';
  readonly questions: MdnsQuestion[];
  readonly answers: MdnsRecord[];
  /** Proposed records of a probe (authority section). */
  readonly authorities: MdnsRecord[];
  readonly iface: string;
  readonly from: string;
}

export type DropReason = 'malformed' | 'oversized' | 'off-link' | 'wrong-port';

export interface MdnsTransportOptions {
  readonly onPacket: (packet: ReceivedPacket) => void;
  /** A packet that was ignored, and why (counted in a metric). */
  readonly onDrop: (reason: DropReason) => void;
  readonly onWarning: (message: string) => void;
}

interface Family {
  readonly socket: Socket;
  /** Interface name -> the address its membership was made with (to leave it by). */
  readonly joined: Map<string, string>;
  /** Sends in order, each after choosing its interface. */
  queue: Promise<void>;
}

export class MdnsTransport {
  readonly #options: MdnsTransportOptions;
  #interfaces: readonly MdnsInterface[] = [];
  #v4: Family | undefined;
  #v6: Family | undefined;
  #closed = false;

  private constructor(options: MdnsTransportOptions) {
    this.#options = options;
  }

  /** Binds port 5353 for IPv4 and, where the kernel allows, IPv6. */
  static async open(options: MdnsTransportOptions): Promise<MdnsTransport> {
    const t = new MdnsTransport(options);
    t.#v4 = await t.#bind('udp4');
    try {
      t.#v6 = await t.#bind('udp6');
    } catch (err) {
      options.onWarning(`IPv6 mDNS is off: ${(err as Error).message}`);
    }
    return t;
  }

  get interfaces(): readonly MdnsInterface[] {
    return this.#interfaces;
  }

  get ipv6(): boolean {
    return this.#v6 !== undefined;
  }

  /** Joins the group on new interfaces and leaves it on those gone. */
  setInterfaces(next: readonly MdnsInterface[]): void {
    this.#interfaces = next;
    this.#join(this.#v4, GROUP_V4, next.filter((i) => i.v4.length > 0).map((i) => [i.name, i.v4[0]!.address]));
    this.#join(this.#v6, GROUP_V6, next.filter((i) => i.v6.some((a) => a.linkLocal)).map((i) => [i.name, `::%${i.name}`]));
  }

  /** Multicasts a packet on one interface, over each family it has. Never throws; failures are warnings. */
  async send(link: MdnsInterface, packet: { kind: 'query' | 'response'; questions?: readonly MdnsQuestion[]; answers?: readonly MdnsRecord[]; authorities?: readonly MdnsRecord[]; additionals?: readonly MdnsRecord[] }): Promise<void> {
    // Callers may hold an interface from before the last change (a probe that
    // began earlier): send by its name with the addresses it has now, if any.
    const iface = this.#interfaces.find((i) => i.name === link.name);
    if (this.#closed || iface === undefined) return;
    let buf: Buffer;
    try {
      buf = dnsPacket.encode({
        type: packet.kind,
        id: 0,
        flags: packet.kind === 'response' ? dnsPacket.AUTHORITATIVE_ANSWER : 0,
        questions: (packet.questions ?? []).map((q) => ({ name: q.name, type: q.type as 'PTR', class: 'IN' as const })),
        answers: (packet.answers ?? []).map(toWire),
        authorities: (packet.authorities ?? []).map(toWire),
        additionals: (packet.additionals ?? []).map(toWire),
      });
    } catch (err) {
      this.#options.onWarning(`cannot encode an mDNS ${packet.kind}: ${(err as Error).message}`);
      return;
    }
    const sends: Promise<void>[] = [];
    const v4 = iface.v4[0]?.address;
    if (this.#v4 !== undefined && this.#v4.joined.has(iface.name) && v4 !== undefined) sends.push(this.#enqueue(this.#v4, v4, GROUP_V4, buf));
    if (this.#v6 !== undefined && this.#v6.joined.has(iface.name)) sends.push(this.#enqueue(this.#v6, `::%${iface.name}`, `${GROUP_V6}%${iface.name}`, buf));
    await Promise.all(sends);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      [this.#v4, this.#v6].map(async (f) => {
        if (f === undefined) return;
        await f.queue;
        await new Promise<void>((resolve) => f.socket.close(() => resolve()));
      }),
    );
  }

  async #bind(type: 'udp4' | 'udp6'): Promise<Family> {
    const socket = createSocket({ type, reuseAddr: true, ipv6Only: type === 'udp6' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(MDNS_PORT, type === 'udp4' ? '0.0.0.0' : '::', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.setMulticastTTL(255);
    socket.setMulticastLoopback(true); // so `alliance discover` on this machine sees the appliance here
    socket.on('error', (err) => this.#options.onWarning(`mDNS socket (${type}): ${err.message}`));
    socket.on('message', (msg, rinfo) => this.#receive(msg, rinfo));
    return { socket, joined: new Map(), queue: Promise.resolve() };
  }

  #join(family: Family | undefined, group: string, wanted: (readonly [string, string])[]): void {
    if (family === undefined) return;
    const names = new Set(wanted.map(([name]) => name));
    for (const [name, address] of [...family.joined]) {
      if (names.has(name)) continue;
      family.joined.delete(name);
      // The interface may be gone already, and the membership with it.
      try {
        family.socket.dropMembership(group, address);
      } catch {
        /* nothing to leave */
      }
    }
    for (const [name, address] of wanted) {
      if (family.joined.has(name)) {
        // A membership belongs to the link, not the address it was made with: a
        // renumbered link keeps it; remember the new address to leave it by.
        family.joined.set(name, address);
        continue;
      }
      try {
        family.socket.addMembership(group, address);
        family.joined.set(name, address);
      } catch (err) {
        this.#options.onWarning(`cannot join ${group} on ${name}: ${(err as Error).message}`);
      }
    }
  }

  #enqueue(family: Family, via: string, to: string, buf: Buffer): Promise<void> {
    const next = family.queue.then(
      () =>
        new Promise<void>((resolve) => {
          try {
            family.socket.setMulticastInterface(via);
          } catch (err) {
            this.#options.onWarning(`cannot send on ${via}: ${(err as Error).message}`);
            return resolve();
          }
          family.socket.send(buf, MDNS_PORT, to, (err) => {
            if (err) this.#options.onWarning(`mDNS send via ${via} failed: ${err.message}`);
            resolve();
          });
        }),
    );
    family.queue = next;
    return next;
  }

  #receive(msg: Buffer, rinfo: RemoteInfo): void {
    if (msg.length > MAX_PACKET) return this.#options.onDrop('oversized');
    // §6/§11: responses come from port 5353 on the local link; the rest is not mDNS.
    if (rinfo.port !== MDNS_PORT) return this.#options.onDrop('wrong-port');
    const iface = interfaceOfSource(rinfo.address, this.#interfaces);
    if (iface === undefined) return this.#options.onDrop('off-link');
    let decoded: Packet;
    try {
      decoded = dnsPacket.decode(msg);
    } catch {
      return this.#options.onDrop('malformed');
    }
    const questions = (decoded.questions ?? []).filter((q) => typeof q.name === 'string' && typeof q.type === 'string').map((q) => ({ name: q.name, type: q.type }));
    const isResponse = decoded.type === 'response';
    this.#options.onPacket({
      kind: isResponse ? 'response' : 'query',
      questions,
      // Additionals carry the SRV/TXT/A a browser needs next; treat them as answers.
      answers: [...fromWire(decoded.answers), ...(isResponse ? fromWire(decoded.additionals) : [])],
      authorities: fromWire(decoded.authorities),
      iface: iface.name,
      from: rinfo.address,
    });
  }
}
