import type { ApplianceStatus } from '../../appliance/serve/index.ts';
import type { ApplianceDown, ConsoleModel, ControllerView, EventView, InterfaceView } from './console-model.ts';
import { line, type ScreenLine } from './screen-frame.ts';
import { wrapText, type Glyphs } from './screen-text.ts';

// The home screen: what an operator at the machine needs first, from the
// appliance's own status, controller overview and event journal. Pure.

const LABEL = 10;
const DAY_MS = 86_400_000;

export interface HomeSections {
  readonly top: readonly ScreenLine[];
  readonly interfaces: readonly ScreenLine[];
  readonly events: readonly ScreenLine[];
}

export function homeSections(model: ConsoleModel): HomeSections {
  const g = model.options.glyphs;
  const width = model.cols;
  const top = model.appliance.kind === 'up' ? upLines(model, model.appliance.status) : model.appliance.kind === 'down' ? downLines(model.appliance.down, model.options.dataDir, width, g) : [line(' Connecting to the appliance...')];
  return { top, interfaces: interfaceLines(model.interfaces), events: eventLines(model.events) };
}

export function homeTitle(model: ConsoleModel): { left: string; right: string } {
  if (model.appliance.kind !== 'up') return { left: `Alliance  ${model.options.configuredName}`, right: model.appliance.kind === 'down' ? 'APPLIANCE DOWN' : '' };
  const s = model.appliance.status;
  const uptime = (model.now - Date.parse(s.startedAt)) / 1000;
  return { left: `Alliance  ${s.name}`, right: `v${s.build.version}  up ${formatUptime(uptime)}` };
}

export function homeFooter(model: ConsoleModel): string {
  return model.appliance.kind === 'up' ? 'N net S system A admin H hosts J join D diagnose ! shell P power' : 'N network  S system  D diagnose  ! shell  P power';
}

function field(label: string, text: string): ScreenLine {
  return line(` ${label.padEnd(LABEL - 1)}${text}`);
}

function upLines(model: ConsoleModel, s: ApplianceStatus): ScreenLine[] {
  const g = model.options.glyphs;
  const lines: ScreenLine[] = [];
  const urls = s.https.urls.length > 0 ? s.https.urls : [`https://${s.https.listen}:${s.https.port}/`];
  lines.push(field('Manage', urls.slice(0, 2).join('  ') + (urls.length > 2 ? `  (+${urls.length - 2} more)` : '')));
  const [fp1, fp2] = splitFingerprint(s.https.fingerprint);
  const daysLeft = Math.floor((Date.parse(s.https.notAfter) - model.now) / DAY_MS);
  const expiry = daysLeft < 0 ? `EXPIRED ${s.https.notAfter.slice(0, 10)}` : `valid to ${s.https.notAfter.slice(0, 10)}`;
  lines.push(field('TLS', `${fp1}  ${expiry}`));
  lines.push({ ...field('', `${fp2}  ${daysLeft < 0 ? 'renew it' : `${daysLeft} days left`}`), inverse: daysLeft < 30 });
  lines.push(field('Node', `${s.nodeId}  health ${s.health}`));
  // A reason that begins with the state says it again ("off (off by ...)"): it replaces it.
  const services = s.services
    .map((v) => (v.state === 'running' || !v.reason ? `${v.name} ${v.state}` : v.reason.startsWith(v.state) ? `${v.name} ${v.reason}` : `${v.name} ${v.state} (${v.reason})`))
    .join(', ');
  for (const [i, text] of wrapText(services, model.cols - LABEL, g).slice(0, 2).entries()) lines.push(field(i === 0 ? 'Services' : '', text));
  lines.push(field('Cluster', 'standalone: 1 member, it leads; no quorum to keep'));
  lines.push(...controllerLines(model.controller));
  return lines;
}

function controllerLines(controller: ControllerView): ScreenLine[] {
  if (controller.kind !== 'up') {
    const why = controller.kind === 'down' ? controller.reason : 'asking...';
    return [field('Hosts', `controller not available: ${why}`)];
  }
  const o = controller.overview;
  const count = (state: string): number => o.counts[state] ?? 0;
  const lines = [field('Hosts', `${count('active')} active, ${count('suspect')} suspect, ${count('offline')} offline, ${count('rejected')} rejected`)];
  if (o.pendingTotal > 0) lines.push({ ...field('', `${o.pendingTotal} host(s) WAIT FOR APPROVAL: press H`), inverse: true });
  if (o.admins === 0) lines.push({ ...field('Admin', 'NO CLOUD ADMIN YET, nobody can log in: press A'), inverse: true });
  const code = o.joinCode;
  // Never the secret here: this screen stays up for anyone passing by, and on serial-over-LAN.
  if (code === null) lines.push(field('Join', 'no console join code: press J to make one'));
  else lines.push(field('Join', `console code ${code.tokenId}  ${code.uses}/${code.maxUses} used, ends ${shortTime(code.expiresAt)}`));
  return lines;
}

function downLines(down: ApplianceDown, dataDir: string, width: number, g: Glyphs): ScreenLine[] {
  const headline: Record<ApplianceDown['what'], string> = {
    'not-initialised': 'THIS APPLIANCE IS NOT INITIALISED',
    'data-not-mounted': 'THE DATA PARTITION IS NOT MOUNTED',
    'not-running': 'THE APPLIANCE IS NOT RUNNING',
    'not-answering': 'THE APPLIANCE DOES NOT ANSWER',
    refused: 'THE APPLIANCE REFUSED THE CONSOLE',
  };
  const advice: Record<ApplianceDown['what'], string[]> = {
    'not-initialised': [`Initialise it: alliance init --data-dir ${dataDir} (the image does this at first boot).`],
    'data-not-mounted': [
      `${dataDir} is listed in /etc/fstab but nothing is mounted there, so the appliance has no data. Do not run alliance init (it would make a new identity on the system disk).`,
      'Look at the disk: lsblk -f; journalctl -b -u var-lib-alliance.mount. Then: mount ' + dataDir + ' && systemctl restart alliance',
    ],
    'not-running': ['Start it: systemctl start alliance', 'Why it stopped: journalctl -u alliance -n 50'],
    'not-answering': ['It may be busy or stuck. Look: journalctl -u alliance -n 50', 'Restart it if it stays so: systemctl restart alliance'],
    refused: ['The control socket answered with an error; see journalctl -u alliance -n 50.'],
  };
  const store =
    down.store.kind === 'ok'
      ? `Store ${down.store.path}: present and readable.`
      : down.store.kind === 'missing'
        ? `Store ${down.store.path}: missing.`
        : `Store ${down.store.path}: UNREADABLE (${down.store.detail}). Check the disk (dmesg); restore it from a backup; do not delete it.`;
  const text = [down.detail, ...advice[down.what], store, 'This screen follows the appliance and changes as soon as it answers.'];
  return [{ ...line(` ${headline[down.what]}`), inverse: true }, ...text.flatMap((t) => wrapText(` ${t}`, width, g).map((l) => line(l)))];
}

function interfaceLines(interfaces: readonly InterfaceView[]): ScreenLine[] {
  if (interfaces.length === 0) return [line('  no network interfaces besides loopback')];
  return interfaces.map((i) => {
    const addresses = i.addresses.length > 0 ? i.addresses.join(' ') : 'no address';
    return line(`  ${i.name.padEnd(10)} ${i.mac.padEnd(17)} ${(i.up ? 'up' : 'DOWN').padEnd(4)} ${addresses}`);
  });
}

function eventLines(events: readonly EventView[]): ScreenLine[] {
  if (events.length === 0) return [line('  no events yet')];
  const short: Record<string, string> = { info: 'info', warning: 'WARN', error: 'ERR ' };
  return events.map((e) => line(`  ${shortTime(e.at)} ${short[e.severity] ?? e.severity.slice(0, 4)} ${e.message}`));
}

/** The colon hex of a SHA-256 (95 characters) as two halves, the way browsers show it, so it can be compared. */
export function splitFingerprint(fingerprint: string): [string, string] {
  const bytes = fingerprint.split(':');
  if (bytes.length !== 32) return [fingerprint.slice(0, 47), fingerprint.slice(47)];
  return [bytes.slice(0, 16).join(':'), bytes.slice(16).join(':')];
}

export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}

/** 'MM-DD HH:MM' of an ISO time (UTC, as the appliance records it). */
export function shortTime(iso: string): string {
  return iso.slice(5, 16).replace('T', ' ');
}
