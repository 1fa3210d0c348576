import { checkDnsServers, checkGateway, checkHostName, checkStaticAddress, MAX_DNS_SERVERS, MIN_PASSWORD_LENGTH, passwordProblem, USER_NAME_PATTERN, USER_NAME_RULE, type Cidr, type InstallNetwork } from '../appliance/contracts/index.ts';
import { describeDisk, diskRefusal, type DiskRules } from './choose-disk.ts';
import { installErrors } from './errors.ts';
import type { Disk } from './list-disks.ts';
import type { AnswerFile } from './parse-answer-file.ts';
import type { InstallPlan } from './plan-install.ts';
import { formatBytes } from '../appliance/cli/index.ts';

// The interactive installer: line questions that work on a serial console.
// The questions and their checks live here; the terminal is behind Prompter
// (tests answer from a script).

export interface Prompter {
  readonly say: (text: string) => void;
  /** One line typed by the operator (without its newline). */
  readonly ask: (question: string) => Promise<string>;
  /** Same, not echoed. */
  readonly askSecret: (question: string) => Promise<string>;
}

export interface Nic {
  readonly name: string;
  readonly mac: string;
  readonly up: boolean;
}

export interface AskedAnswers {
  readonly answers: AnswerFile;
  readonly password: string | undefined;
}

/** Asks until an answer passes `check` (which returns the value, or a problem to say and ask again). */
async function askUntil<T>(p: Prompter, question: string, check: (typed: string) => { value: T } | { problem: string }, secret = false): Promise<T> {
  for (;;) {
    const typed = (secret ? await p.askSecret(question) : await p.ask(question)).trim();
    const verdict = check(typed);
    if ('value' in verdict) return verdict.value;
    p.say(`  ${verdict.problem}\n`);
  }
}

/** Disk, network, host name and first admin; the confirmation comes after the plan (confirmInstall). */
export async function askAnswers(p: Prompter, facts: { disks: readonly Disk[]; rules: DiskRules; nics: readonly Nic[] }): Promise<AskedAnswers> {
  p.say('\nAlliance installer. Answer each question and press Enter; nothing is written before the last confirmation.\n\n');
  const usable = facts.disks.filter((d) => d.type !== 'rom').map((disk) => ({ disk, refusal: diskRefusal(disk, facts.rules) }));
  p.say('Disks:\n');
  usable.forEach(({ disk, refusal }, i) => p.say(`  ${i + 1}) ${describeDisk(disk)}${refusal ? `   (cannot: ${refusal.message.replace(/^Cannot install onto \S+: /, '')})` : ''}\n`));
  const candidates = usable.filter((u) => u.refusal === undefined).map((u) => u.disk);
  if (candidates.length === 0) throw installErrors.DISK_NONE({ reasons: 'see the list above', minimum: formatBytes(facts.rules.minimumBytes) });
  const disk = await askUntil<Disk>(p, `Install onto which disk? [1-${usable.length}${candidates.length === 1 ? `, Enter for ${usable.findIndex((u) => u.disk === candidates[0]) + 1}` : ''}] `, (typed) => {
    if (typed === '' && candidates.length === 1) return { value: candidates[0]! };
    const n = Number(typed);
    const chosen = Number.isInteger(n) && n >= 1 && n <= usable.length ? usable[n - 1] : usable.find((u) => u.disk.path === typed || u.disk.name === typed);
    if (chosen === undefined) return { problem: `type a number from 1 to ${usable.length}` };
    if (chosen.refusal) return { problem: chosen.refusal.message };
    return { value: chosen.disk };
  });

  let network: InstallNetwork | null = null;
  if (facts.nics.length === 0) p.say('\nNo network interface found: the appliance will try DHCP on every interface.\n');
  else {
    p.say('\nNetwork interfaces:\n');
    facts.nics.forEach((nic, i) => p.say(`  ${i + 1}) ${nic.name.padEnd(10)} ${nic.mac}  ${nic.up ? 'link up' : 'no link'}\n`));
    const firstUp = Math.max(0, facts.nics.findIndex((n) => n.up));
    const nic = await askUntil<Nic>(p, `Management interface? [1-${facts.nics.length}, Enter for ${firstUp + 1}] `, (typed) => {
      if (typed === '') return { value: facts.nics[firstUp]! };
      const n = Number(typed);
      return Number.isInteger(n) && n >= 1 && n <= facts.nics.length ? { value: facts.nics[n - 1]! } : { problem: `type a number from 1 to ${facts.nics.length}` };
    });
    const mode = await askUntil(p, 'Address by DHCP or static? [dhcp/static, Enter for dhcp] ', (typed) => {
      const t = typed.toLowerCase();
      return t === '' || t === 'dhcp' ? { value: 'dhcp' as const } : t === 'static' ? { value: 'static' as const } : { problem: 'type dhcp or static' };
    });
    if (mode === 'dhcp') network = { mac: nic.mac, mode: 'dhcp' };
    else {
      // The checks first boot applies to the same answers (appliance/contracts).
      const address = await askUntil<Cidr>(p, 'Address with prefix length (e.g. 192.0.2.10/24): ', (typed) => {
        const cidr = checkStaticAddress(typed);
        return typeof cidr === 'string' ? { problem: cidr } : { value: cidr };
      });
      const gateway = await askUntil<string>(p, 'Gateway (Enter for none): ', (typed) => {
        const problem = typed === '' ? undefined : checkGateway(typed, address);
        return problem !== undefined ? { problem } : { value: typed };
      });
      const dns = await askUntil<readonly string[]>(p, `DNS servers, up to ${MAX_DNS_SERVERS}, separated by spaces (Enter for none): `, (typed) => {
        const checked = checkDnsServers(typed);
        return typeof checked === 'string' ? { problem: checked } : { value: checked };
      });
      network = { mac: nic.mac, mode: 'static', address: `${address.ip}/${address.prefix}`, gateway, dns: [...dns] };
    }
  }

  const hostname = await askUntil<string | null>(p, '\nHost name (Enter to keep the image\'s): ', (typed) => {
    if (typed === '') return { value: null };
    const checked = checkHostName(typed);
    return checked.problem !== undefined ? { problem: `host name ${checked.problem}` } : { value: checked.name };
  });

  const adminName = await askUntil<string>(p, '\nFirst cloud admin\'s user name (Enter to create it later on the console): ', (typed) =>
    typed === '' || USER_NAME_PATTERN.test(typed) ? { value: typed } : { problem: USER_NAME_RULE },
  );
  let password: string | undefined;
  if (adminName !== '') {
    for (;;) {
      const first = await askUntil<string>(p, `Password for ${adminName} (at least ${MIN_PASSWORD_LENGTH} characters, not shown): `, (typed) =>
        passwordProblem(typed) === undefined ? { value: typed } : { problem: `the password ${passwordProblem(typed)!}` }, true);
      const again = await p.askSecret('Again: ');
      if (again.trim() === first) {
        password = first;
        break;
      }
      p.say('  the two passwords differ; once more\n');
    }
  }
  return {
    answers: { target: { disk: disk.path, wipe: true }, hostname, network, ntp: [], admin: adminName === '' ? null : { name: adminName }, after: 'reboot' },
    password,
  };
}

/**
 * Shows what the plan erases and asks for the disk's name.
 * @throws AllianceError APL_INSTALL_NOT_CONFIRMED when something else is typed.
 */
export async function confirmInstall(p: Prompter, plan: InstallPlan, disk: Disk): Promise<void> {
  p.say(`\n${disk.path} (${describeDisk(disk).replace(/^\S+\s+/, '')}) now holds: ${plan.erases}.\n`);
  p.say(plan.data.kept ? 'The system is replaced; the data partition of the earlier install is KEPT.\n' : 'EVERYTHING on it will be erased.\n');
  const typed = (await p.ask(`Type ${disk.name} to install onto it, anything else to stop: `)).trim();
  if (typed !== disk.name && typed !== disk.path) throw installErrors.NOT_CONFIRMED({ reason: `${JSON.stringify(typed)} is not ${disk.name}` });
}
