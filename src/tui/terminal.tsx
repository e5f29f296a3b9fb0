import { MOUSE_OFF, MOUSE_ON } from './key-chunks.js';
import { safe } from './layout.js';
import type { TuiInput, TuiTerminal } from './index.js';
import { TuiSession } from './session.js';

// The alternate screen, and the mouse wheel reported as escape sequences rather than
// scrolling the terminal's own history.
const ENTER = '\u001b[?1049h\u001b[H' + MOUSE_ON;
// Mouse reporting off, the cursor shown, the alternate screen left.
const LEAVE = MOUSE_OFF + '\u001b[?25h\u001b[?1049l';

/**
 * The terminal UI on a terminal. Opens on the alternate screen with mouse reporting on and
 * always undoes both (on q, Ctrl-C, SIGTERM/SIGHUP, or an exception), so the shell comes
 * back as it was. Resolves with the exit code once the user quits.
 */
export async function runTerminal(input: TuiInput, term: TuiTerminal): Promise<number> {
  const session =
    'live' in input
      ? TuiSession.forLive(input.live, input.decodeAs ? { decodeAs: input.decodeAs } : {})
      : TuiSession.forFiles(input.files, {
          firstScreen: true,
          ...(input.decodeAs ? { decodeAs: input.decodeAs } : {}),
          ...(input.nodeState !== undefined ? { nodeState: input.nodeState } : {}),
          ...(input.command ? { command: input.command } : {}),
          ...(input.cluster ? { cluster: input.cluster } : {}),
          ...(input.trace !== undefined ? { trace: input.trace } : {}),
        });
  // ink draws nothing until exit when CI or CONTINUOUS_INTEGRATION is set (is-in-ci, read
  // once as ink loads). This UI is on a terminal someone is looking at, where a CI variable
  // inherited from a job's environment or a shell profile must not blank it.
  delete process.env['CI'];
  delete process.env['CONTINUOUS_INTEGRATION'];
  // ink and the views load while the session reads the captures' first records.
  const [{ render }, { App }] = await Promise.all([import('ink'), import('./app.js')]);
  const out = term.stdout;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    out.write(LEAVE);
  };
  out.write(ENTER);
  process.once('exit', restore);
  const app = render(<App session={session} follow={'live' in input} {...('files' in input && input.filter ? { filter: input.filter } : {})} />, { stdin: term.stdin, stdout: out, exitOnCtrlC: false, patchConsole: false, maxFps: 20 });
  // ink unmounts on 'beforeExit': once the analysis workers are done, an idle terminal
  // alone may not hold the event loop open. The UI lives until the user quits.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const onSignal = () => app.unmount();
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  try {
    await app.waitUntilExit();
  } finally {
    clearInterval(keepAlive);
    session.close();
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    app.cleanup();
    restore();
    process.off('exit', restore);
  }
  if (session.report) out.write(`netdiag: ${safe(session.report.verdict)}\n`);
  return 0;
}
