// Runs one network change the way the console does, for the netns test: started
// under `ip netns exec`, so `ip` and `ping` see only that namespace.
// argv[2]: JSON { network, etcDir, checkMs, then: 'keep' | 'revert' | 'none' }. Prints the outcome as JSON.
import { type ManagementNetwork } from '../../../../appliance/contracts/index.ts';
import { startNetworkChange } from '../../../../services/console/system/network-change.ts';

interface Drive {
  readonly network: ManagementNetwork;
  readonly etcDir: string;
  readonly checkMs: number;
  readonly then: 'keep' | 'revert' | 'none';
}

const drive = JSON.parse(process.argv[2] ?? '{}') as Drive;
const change = startNetworkChange(drive.network, { paths: { etcDir: drive.etcDir }, checkMs: drive.checkMs });
const outcome = await change.apply();
if (outcome.ok && drive.then === 'keep') await change.keep();
if (outcome.ok && drive.then === 'revert') await change.revert();
process.stdout.write(`${JSON.stringify(outcome)}\n`);
