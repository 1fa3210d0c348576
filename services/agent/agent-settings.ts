import { parseJoinCode } from '../../appliance/contracts/index.ts';
import type { Config } from '../../appliance/config/index.ts';
import { agentErrors } from './errors.ts';
import { parseKernelCmdline } from './kernel-cmdline.ts';

/** What the agent was told, from the config file and the kernel command line, merged and checked. */
export interface AgentSettings {
  /** Where the controller might be, as told (see chooseController() for the precedence). */
  readonly controller: { readonly config: string; readonly cmdline: string | undefined };
  readonly joinCode: { readonly id: string; readonly secret: string; readonly source: string } | undefined;
  /** Pin of the controller's HTTPS certificate; empty to trust on first use. */
  readonly fingerprint: string;
  readonly fingerprintSource: 'config' | 'cmdline' | 'none';
  /** Things worth a warning in the log, never secrets. */
  readonly warnings: readonly string[];
}

export interface AgentInputs {
  /** The text of agent.cmdline_file, or undefined when it could not be read. */
  readonly cmdline: string | undefined;
  /** The text of agent.join_code_file, when one is configured. */
  readonly joinCodeFile?: string | undefined;
}

/**
 * Merges agent.* with the kernel command line; the config file wins for each
 * setting. A join code file that is set but holds no join code is a
 * configuration error (exit 2); a bad kernel parameter is only a warning, since
 * the host may still be approved by hand.
 */
export function resolveAgentSettings(agent: Config['agent'], inputs: AgentInputs): AgentSettings {
  const warnings: string[] = [];
  if (inputs.cmdline === undefined) warnings.push(`cannot read ${agent.cmdline_file}; kernel command line settings are not used`);
  const cmdline = parseKernelCmdline(inputs.cmdline ?? '');
  warnings.push(...cmdline.problems.map((p) => `kernel command line: ${p}`));

  let joinCode: AgentSettings['joinCode'];
  if (agent.join_code_file !== '') {
    const parsed = parseJoinCode(inputs.joinCodeFile ?? '');
    if (parsed === undefined) throw agentErrors.JOIN_CODE_INVALID({ source: agent.join_code_file });
    joinCode = { ...parsed, source: agent.join_code_file };
  } else if (cmdline.joinCode !== undefined) {
    const parsed = parseJoinCode(cmdline.joinCode);
    if (parsed !== undefined) joinCode = { ...parsed, source: 'kernel command line' };
  }

  const fingerprintSource = agent.fingerprint !== '' ? 'config' : cmdline.fingerprint !== undefined ? 'cmdline' : 'none';
  return {
    controller: { config: agent.controller, cmdline: cmdline.controller },
    joinCode,
    fingerprint: (fingerprintSource === 'config' ? agent.fingerprint : (cmdline.fingerprint ?? '')).toUpperCase(),
    fingerprintSource,
    warnings,
  };
}
