import { INSTALL_ANSWERS_VERSION, INSTALL_FILES, type InstallAnswers } from '../appliance/contracts/index.ts';
import type { AnswerFile } from './parse-answer-file.ts';
import type { InstallFile } from './plan-install.ts';

/**
 * The files the installed system's first boot reads from its data partition:
 * install/answers.json, and install/admin-name + install/admin-password when an
 * admin is given (all 0600). Pure: the password is passed in, read by the caller.
 */
export function renderInstallFiles(answers: Pick<AnswerFile, 'hostname' | 'network' | 'ntp' | 'admin'>, adminPassword: string | undefined): InstallFile[] {
  const doc: InstallAnswers = { version: INSTALL_ANSWERS_VERSION, hostname: answers.hostname, network: answers.network, ntp: [...answers.ntp] };
  const files: InstallFile[] = [{ path: INSTALL_FILES.answers, mode: 0o600, content: `${JSON.stringify(doc, null, 2)}\n` }];
  if (answers.admin !== null && adminPassword !== undefined) {
    files.push({ path: INSTALL_FILES.adminName, mode: 0o600, content: `${answers.admin.name}\n` });
    files.push({ path: INSTALL_FILES.adminPassword, mode: 0o600, content: `${adminPassword}\n` });
  }
  return files;
}
