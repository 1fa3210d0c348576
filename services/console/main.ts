import { interfaceList } from '../../appliance/discovery/index.ts';
import type { ServiceModule } from '../../appliance/serve/index.ts';
import { ApplianceLink } from './appliance-link.ts';
import { runConsoleRuntime } from './console-runtime.ts';
import { consoleErrors } from './errors.ts';
import { applyInstallAnswers } from './first-boot.ts';
import { glyphsFor } from './screen-text.ts';

/**
 * The local console (`alliance console`): the appliance's state on tty1 or
 * the serial line, read from its own status, bus and events, and the
 * first-day fixes. It is the whole process; it never opens the store.
 * `alliance console first-boot` applies what the installer was told.
 */
export const consoleModule: ServiceModule = {
  name: 'console',
  run: async (ctx) => {
    const [sub] = ctx.args;
    if (sub === 'first-boot') {
      const lines = await applyInstallAnswers({ dataDir: ctx.layout.root, etcDir: ctx.config.console.etc_dir });
      ctx.out(lines.map((l) => `${l}\n`).join(''));
      return 0;
    }
    if (sub !== undefined) throw consoleErrors.COMMAND_UNKNOWN({ command: sub.slice(0, 40) });
    if (ctx.terminal === undefined) throw consoleErrors.NOT_A_TERMINAL();
    return runConsoleRuntime({
      input: ctx.terminal.input,
      output: ctx.terminal.output,
      link: new ApplianceLink(ctx.layout),
      console: {
        glyphs: glyphsFor(ctx.env, ctx.options.ascii === 'yes'),
        confirmSeconds: ctx.config.console.network_confirm_s,
        dataDir: ctx.layout.root,
        configuredName: ctx.config.appliance.name,
      },
      etcDir: ctx.config.console.etc_dir,
      networkCheckSeconds: ctx.config.console.network_check_s,
      discoveryInterfaces: interfaceList(ctx.config.discovery.interfaces),
      env: ctx.env,
      stopRequested: ctx.stopRequested,
    });
  },
};
