import type { ApplianceStatus } from '../serve/index.ts';

/** Human text for `alliance status`. Pure. */
export function formatStatus(s: ApplianceStatus): string {
  const width = Math.max(...s.services.map((x) => x.name.length), 7);
  const lines = [
    `alliance ${s.name}: running, health ${s.health}`,
    `  node      ${s.nodeId}`,
    `  version   ${s.build.version} (${s.build.commit}, built ${s.build.builtAt.slice(0, 16)}, node ${s.build.node})`,
    `  process   pid ${s.pid}, up ${formatDuration(s.uptimeSeconds)}`,
    `  data      ${s.dataDir}${s.configFile ? `, config ${s.configFile}` : ''}`,
    `  https     ${s.https.urls.join('  ')}`,
    `  cert      SHA-256 ${s.https.fingerprint}`,
    `            expires ${s.https.notAfter}`,
    `  bus       ${s.bus.socket}${s.bus.listen ? `, ${s.bus.listen}` : ' (local only)'}`,
    `  bus cert  SHA-256 ${s.bus.fingerprint}`,
    `  store     ${s.store.path} (schema v${s.store.schemaVersion}, ${s.store.events} events)`,
    '  services',
    ...s.services.map((x) => `    ${x.name.padEnd(width)}  ${x.reason ? `${x.state.padEnd(10)}  ${x.reason}` : x.state}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** What can be said without the process: who this data directory is. Pure. */
export function formatOffline(facts: { dataDir: string; nodeId?: string | undefined; fingerprint?: string | undefined; reason: string }): string {
  const lines = [`alliance is not running: ${facts.reason}`, `  data      ${facts.dataDir}`];
  if (facts.nodeId) lines.push(`  node      ${facts.nodeId}`);
  if (facts.fingerprint) lines.push(`  cert      SHA-256 ${facts.fingerprint}`);
  return `${lines.join('\n')}\n`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = d > 0 ? [`${d}d`, `${h}h`] : h > 0 ? [`${h}h`, `${m}m`] : [`${m}m`, `${s % 60}s`];
  return parts.join('');
}
