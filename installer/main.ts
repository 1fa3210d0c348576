// `alliance install`: puts the appliance image onto a disk, from an answer
// file (--answers FILE|URL, unattended) or by asking on the terminal. Only
// wiring here: the decisions are in parse-answer-file, choose-disk and
// plan-install, the I/O in install-runner and _system-facts.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { CommandContext, ServiceModule } from '../appliance/serve/index.ts';
import { askAnswers, confirmInstall } from './ask-answers.ts';
import { chooseDisk } from './choose-disk.ts';
import { installErrors } from './errors.ts';
import { inspectTarget, readImageHead, runPlan, verifyImage } from './install-runner.ts';
import { parseAnswerFile, type AnswerFile } from './parse-answer-file.ts';
import { imageLayout, minimumDiskBytes, planInstall } from './plan-install.ts';
import { readPartitionTable } from './read-partition-table.ts';
import { renderInstallFiles } from './render-install-files.ts';
import { listDisks, listNics, loadAnswerText, mountPointOf } from './_system-facts.ts';
import { terminalPrompter } from './_terminal-prompter.ts';
import { formatBytes } from '../appliance/cli/index.ts';

/** Where the live environment's /init mounts the installer medium, and the image on it. */
export const DEFAULT_IMAGE = '/run/medium/alliance/alliance.raw.zst';

export const installModule: ServiceModule = {
  name: 'install',
  run: install,
};

async function install(ctx: CommandContext): Promise<number> {
  const out = ctx.out;
  const image = ctx.options.image ?? DEFAULT_IMAGE;
  const dryRun = ctx.options.dryRun === 'yes';
  if (!existsSync(image)) throw installErrors.IMAGE_INVALID({ image, problem: 'it does not exist (give --image PATH)' });
  const head = await readImageHead(image);
  let layout;
  try {
    layout = imageLayout(readPartitionTable(head), image);
  } catch (err) {
    if (err instanceof TypeError) throw installErrors.IMAGE_INVALID({ image, problem: err.message });
    throw err;
  }
  const minimumBytes = minimumDiskBytes(layout);
  const mediumMount = mountPointOf(image);
  const rules = { minimumBytes, mediumMounts: mediumMount !== undefined && mediumMount !== '/' ? [mediumMount] : [] };

  let answers: AnswerFile;
  let password: string | undefined;
  let confirm: ((plan: Parameters<typeof confirmInstall>[1]) => Promise<void>) | undefined;
  if (ctx.options.answers !== undefined) {
    const source = ctx.options.answers;
    answers = parseAnswerFile(await loadAnswerText(source), { source });
    password = answers.admin?.password;
    if (answers.admin?.passwordFile !== undefined) {
      try {
        password = readFileSync(answers.admin.passwordFile, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        throw installErrors.ANSWERS_UNREADABLE({ source: answers.admin.passwordFile, reason: (err as Error).message });
      }
    }
  } else {
    if (ctx.terminal === undefined) throw installErrors.NO_TERMINAL();
    const prompter = terminalPrompter(ctx.terminal);
    const asked = await askAnswers(prompter, { disks: listDisks(), rules, nics: listNics() });
    answers = asked.answers;
    password = asked.password;
    const disk = listDisks().find((d) => d.path === answers.target.disk);
    confirm = async (plan) => confirmInstall(prompter, plan, disk!);
  }

  // A disk image file as the target (a build host making an installed disk, and tests): no disk checks but the plan's.
  const fileTarget = answers.target.disk !== 'auto' && existsSync(answers.target.disk) && statSync(answers.target.disk).isFile();
  const targetPath = fileTarget ? answers.target.disk : chooseDisk(listDisks(), answers.target.disk, rules).path;
  const target = await inspectTarget(targetPath);
  const plan = planInstall(layout, target, { wipe: answers.target.wipe, imageName: 'appliance', files: renderInstallFiles(answers, password) });
  out(`installing onto ${target.path} (${formatBytes(target.sizeBytes)}): system ${formatBytes(layout.headBytes)}, data ${formatBytes(plan.data.sectors * 512)}${plan.data.kept ? ' (kept from the earlier install)' : ''}\n`);
  if (dryRun) {
    out(`dry run; would erase: ${plan.erases}\nsteps:\n${plan.steps.map((s) => `  ${s.kind}${s.kind === 'partition' ? `\n${s.script.replace(/^/gm, '    ')}` : ''}`).join('\n')}\n`);
    return 0;
  }
  if (confirm) await confirm(plan);
  await verifyImage(image, { out });
  const started = Date.now();
  await runPlan(plan, { image, imageHead: head }, { out });
  out(`alliance-install: installed onto ${target.path} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${answers.after === 'none' ? 'remove the installer medium and boot from the disk' : `${answers.after === 'reboot' ? 'rebooting' : 'powering off'}`}\n`);
  if (answers.after !== 'none') powerAction(answers.after);
  return 0;
}

/** reboot/poweroff: through systemd when it runs, else at once (the live environment's busybox; the disks are synced). */
function powerAction(action: 'reboot' | 'poweroff'): void {
  const result = existsSync('/run/systemd/system') ? spawnSync('systemctl', [action], { stdio: 'inherit' }) : spawnSync(action, ['-f'], { stdio: 'inherit' });
  if (result.status !== 0) throw installErrors.COMMAND_FAILED({ action, command: action, reason: result.error?.message ?? `exit ${result.status}` });
}
