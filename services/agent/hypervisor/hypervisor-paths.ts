import { join } from 'node:path';

/** Where the agent keeps images and instances, under its own directory (<data-dir>/agent). */
export interface HypervisorPaths {
  /** One file per image: <id>.<format>. */
  readonly images: string;
  /** One directory per instance: disk.qcow2, console.log, seed.iso. */
  readonly instances: string;
}

export interface InstanceFiles {
  readonly dir: string;
  readonly disk: string;
  readonly consoleLog: string;
  readonly domainXml: string;
  /** The rebootGeneration last applied, as decimal text. */
  readonly rebootGeneration: string;
}

export function hypervisorPaths(agentDir: string): HypervisorPaths {
  return { images: join(agentDir, 'images'), instances: join(agentDir, 'instances') };
}

export function instanceFiles(paths: HypervisorPaths, id: string): InstanceFiles {
  const dir = join(paths.instances, id);
  return {
    dir,
    disk: join(dir, 'disk.qcow2'),
    consoleLog: join(dir, 'console.log'),
    domainXml: join(dir, 'domain.xml'),
    rebootGeneration: join(dir, 'reboot-generation'),
  };
}
