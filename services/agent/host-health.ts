import type { HostHealth, Inventory } from '../../appliance/contracts/index.ts';

/** What the agent reads about the host for a heartbeat (os.loadavg(), os.totalmem() ...); cheap enough for every beat. */
export interface HealthSample {
  readonly load1: number;
  readonly totalMemoryBytes: number;
  readonly freeMemoryBytes: number;
  readonly uptimeSeconds: number;
}

/**
 * The heartbeat's health: numbers made safe for the schema, and problems an
 * operator should know about (a host that cannot run VMs is worth saying so).
 * Degraded when there is any problem.
 */
export function hostHealth(sample: HealthSample, inventory: Inventory | undefined): HostHealth {
  const problems: string[] = [];
  if (inventory !== undefined) {
    if (!inventory.cpu.virtualization) problems.push('the CPU shows no hardware virtualization (vmx/svm): this host cannot run VMs with KVM; enable VT-x/AMD-V in the firmware');
    if (inventory.disks.length === 0) problems.push('no local disk found');
    if (!inventory.nics.some((n) => n.link && !n.virtual)) problems.push('no physical network interface has a link');
  }
  const total = safeInteger(sample.totalMemoryBytes);
  return {
    status: problems.length === 0 ? 'ok' : 'degraded',
    problems: problems.slice(0, 32).map((p) => p.slice(0, 256)),
    load1: Number.isFinite(sample.load1) && sample.load1 > 0 ? Math.round(sample.load1 * 100) / 100 : 0,
    memoryUsedBytes: Math.min(total, safeInteger(total - safeInteger(sample.freeMemoryBytes))),
    uptimeSeconds: safeInteger(sample.uptimeSeconds),
  };
}

function safeInteger(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), Number.MAX_SAFE_INTEGER) : 0;
}
