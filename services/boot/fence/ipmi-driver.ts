import { buildIpmitoolArgv, type IpmiPowerCommand, type IpmiTarget, type IpmitoolArgvOptions } from './build-ipmitool-argv.ts';
import { parseIpmitoolOutput, type IpmitoolRun } from './parse-ipmitool-output.ts';
import { type DriverOutcome, type PowerDriver, type PowerOperation } from './power-driver.ts';
import { redactSecrets, type SecretValue } from './secret-value.ts';

// A PowerDriver over ipmitool. The process runner is injected (run-ipmitool.ts
// in production, a table of captured outputs in tests); the password travels
// only in the IPMI_PASSWORD variable of the child's environment, and anything
// ipmitool prints is redacted before it becomes a message.

/** Runs ipmitool with this argv and these extra environment variables. */
export type IpmitoolRunner = (argv: readonly string[], options: { env: Readonly<Record<string, string>>; signal: AbortSignal }) => Promise<IpmitoolRun>;

export interface IpmiDriverOptions extends IpmitoolArgvOptions {
  readonly password: SecretValue;
  readonly run: IpmitoolRunner;
}

const COMMANDS: Record<PowerOperation, IpmiPowerCommand> = { 'power-off': 'off', 'power-on': 'on', 'read-state': 'status' };

export function ipmiDriver(target: IpmiTarget, options: IpmiDriverOptions): PowerDriver {
  const argvOptions: IpmitoolArgvOptions = {
    ...(options.timeoutS === undefined ? {} : { timeoutS: options.timeoutS }),
    ...(options.retries === undefined ? {} : { retries: options.retries }),
  };
  // Built once, so a bad address or user fails when the driver is made, not mid-fence.
  const argv = { 'status': buildIpmitoolArgv(target, 'status', argvOptions), 'on': buildIpmitoolArgv(target, 'on', argvOptions), 'off': buildIpmitoolArgv(target, 'off', argvOptions) };
  return {
    target: `ipmi://${target.host.includes(':') ? `[${target.host}]` : target.host}${target.port === undefined ? '' : `:${target.port}`}`,
    async call(operation, { signal }): Promise<DriverOutcome> {
      const command = COMMANDS[operation];
      const run = await options.run(argv[command], { env: { IPMI_PASSWORD: options.password.reveal() }, signal });
      const outcome = parseIpmitoolOutput(command, run);
      return outcome.ok ? outcome : { ok: false, failure: { ...outcome.failure, message: redactSecrets(outcome.failure.message, [options.password]) } };
    },
  };
}
