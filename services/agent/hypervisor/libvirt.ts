import type { AllianceError } from '../../../appliance/errors/index.ts';
import { hypervisorErrors } from './errors.ts';
import type { DomainState } from './plan-instances.ts';
import { VirshSession } from './_virsh-session.ts';

/** What the apply stage needs of libvirt; the driver below does it with virsh. */
export interface Libvirt {
  /** Names of all domains, running or not, ours and others'. */
  listDomains(): Promise<string[]>;
  domainState(name: string): Promise<DomainState>;
  dumpXml(name: string): Promise<string>;
  /** Defines (or redefines) a persistent domain from an XML file. */
  define(xmlPath: string): Promise<void>;
  start(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  /** Asks the guest to power off (ACPI); returns at once. */
  shutdown(name: string): Promise<void>;
  /** Pulls the plug. */
  destroy(name: string): Promise<void>;
  reboot(name: string): Promise<void>;
  undefine(name: string): Promise<void>;
  close(): void;
}

export interface VirshOptions {
  /** The virsh executable; default `virsh` on PATH. */
  readonly virsh?: string;
  /** How long one command may take; default 60 s. */
  readonly timeoutMs?: number;
}

/**
 * libvirt through one long-lived interactive virsh per connection URI. When
 * virsh dies (libvirtd restarted, a command hung) the next command starts a
 * new one. Failures are coded errors: HYPERVISOR_DOMAIN_NOT_FOUND,
 * HYPERVISOR_VIRSH_FAILED, HYPERVISOR_VIRSH_UNAVAILABLE.
 */
export class VirshLibvirt implements Libvirt {
  readonly #uri: string;
  readonly #options: VirshOptions;
  #session: VirshSession | undefined;

  constructor(uri: string, options: VirshOptions = {}) {
    this.#uri = uri;
    this.#options = options;
  }

  async listDomains(): Promise<string[]> {
    const out = await this.#run(['list', '--all', '--name']);
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  }

  async domainState(name: string): Promise<DomainState> {
    return parseDomainState(await this.#run(['domstate', name], name));
  }

  dumpXml(name: string): Promise<string> {
    return this.#run(['dumpxml', name], name);
  }

  async define(xmlPath: string): Promise<void> {
    await this.#run(['define', xmlPath]);
  }

  async start(name: string): Promise<void> {
    await this.#run(['start', name], name);
  }

  async resume(name: string): Promise<void> {
    await this.#run(['resume', name], name);
  }

  async shutdown(name: string): Promise<void> {
    await this.#run(['shutdown', name], name);
  }

  async destroy(name: string): Promise<void> {
    await this.#run(['destroy', name], name);
  }

  async reboot(name: string): Promise<void> {
    await this.#run(['reboot', name], name);
  }

  async undefine(name: string): Promise<void> {
    await this.#run(['undefine', name], name);
  }

  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  async #run(args: readonly string[], domain?: string): Promise<string> {
    if (this.#session === undefined || !this.#session.alive) this.#session = new VirshSession(this.#uri, this.#options);
    let out;
    try {
      out = await this.#session.run(args);
    } catch (err) {
      if (err instanceof TypeError) throw err; // an argument virsh cannot take: a bug, not libvirt
      throw hypervisorErrors.VIRSH_UNAVAILABLE({ uri: this.#uri, reason: (err as Error).message }, { cause: err });
    }
    if (out.errors.length > 0) throw virshError(args, out.errors, { uri: this.#uri, domain });
    return out.stdout;
  }
}

/** The coded error for the `error:` lines virsh printed after a command. */
export function virshError(args: readonly string[], errors: readonly string[], context: { uri: string; domain?: string | undefined }): AllianceError {
  const reason = errors.join('; ');
  if (context.domain !== undefined && /failed to get domain|Domain not found/i.test(reason)) return hypervisorErrors.DOMAIN_NOT_FOUND({ name: context.domain });
  if (/failed to connect to the hypervisor|no connection driver|Failed to connect socket/i.test(reason)) {
    return hypervisorErrors.VIRSH_UNAVAILABLE({ uri: context.uri, reason });
  }
  return hypervisorErrors.VIRSH_FAILED({ command: args.join(' '), reason, uri: context.uri });
}

/** `virsh domstate` output, folded to the states the plan tells apart. */
export function parseDomainState(text: string): DomainState {
  const state = text.trim().split('\n')[0]?.trim() ?? '';
  switch (state) {
    case 'running':
    case 'idle':
    case 'blocked':
      return 'running';
    case 'paused':
      return 'paused';
    case 'in shutdown':
      return 'in shutdown';
    case 'shut off':
      return 'shut off';
    case 'crashed':
      return 'crashed';
    default:
      return 'other';
  }
}
