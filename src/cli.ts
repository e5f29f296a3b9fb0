import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { protectStdinArgs } from './commands/options.js';
import * as capture from './commands/capture.js';
import * as read from './commands/read.js';

/**
 * The netdiag command line. Commands load their heavy modules (dissectors, readers,
 * outputs) inside their handlers, so `netdiag --help` only pays for yargs.
 * Usage errors exit with 2, like every other usage error netdiag reports.
 */
export async function main(argv: string[]): Promise<void> {
  const cli = yargs(protectStdinArgs(argv))
    .scriptName('netdiag')
    .usage('$0 <command> [options]\n\nPacket-capture analyzer and troubleshooter for Kubernetes pod networking.')
    .command(read)
    .command(capture)
    .demandCommand(1, 'name a command, e.g. netdiag read capture.pcap')
    .recommendCommands()
    .strict()
    .parserConfiguration({ 'greedy-arrays': false })
    .help()
    .alias('h', 'help')
    .version()
    // yargs lays out the whole help text after every command it runs, and wrapping it is
    // the costly part (about 6% of a small read's start-up): wrap only when help is asked for.
    .wrap(argv.some((a) => a === '--help' || a === '-h') ? Math.min(110, process.stdout.columns || 100) : null)
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`netdiag: ${msg}\nRun netdiag --help for usage.\n`);
      process.exit(2);
    });
  skipHelpPrerender(cli);
  await cli.parseAsync();
}

/**
 * yargs renders a command's whole help text as soon as it has started the command's
 * handler, in case the handler asks for it later; netdiag's handlers never do, and the
 * rendering (cliui measuring every option's description) was about a tenth of a small
 * read's start-up. The hook is internal to yargs, so an upgrade that drops it costs only
 * the time.
 */
function skipHelpPrerender(cli: object): void {
  const internal = (cli as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) await main(process.argv.slice(2));
