import type { PacketView } from '../decode/packet-view.js';
import type { Registry } from '../decode/registry.js';
import { compileTree } from './compile.js';
import { FilterError } from './lexer.js';
import { parse } from './parser.js';

/**
 * Display filters: the Wireshark 4.0 filter language, as far as netdiag needs it, for
 * `read -Y`, `--trace` and the terminal UI's filter bar.
 */
export { FilterError } from './lexer.js';

export interface CompiledFilter {
  readonly text: string;
  /** Evaluate the filter on a decoded packet; allocates nothing on the common paths. */
  matches(p: PacketView): boolean;
  /**
   * Names of the protocols whose layers the filter reads (a field counts as its
   * protocol), e.g. {'ip', 'udp'} for `ip.dst == 10.0.0.1 and udp.port == 53`.
   * A packet holding none of them can still match a negation (`not tcp`), so a prefilter
   * may skip such packets only for filters without `not`, `!` or `not in`.
   */
  readonly protocols: ReadonlySet<string>;
}

const MATCH_ALL = () => true;

/** Compile a filter for a registry; throws FilterError pointing at the offending column. */
export function compileFilter(reg: Registry, text: string): CompiledFilter {
  if (text.trim() === '') return { text, matches: MATCH_ALL, protocols: new Set() };
  const tree = parse(text);
  const { pred, protocols } = compileTree(reg, text, tree);
  return { text, matches: pred, protocols };
}

/** The error a filter would raise, or null if it compiles (an empty filter matches everything). */
export function validateFilter(reg: Registry, text: string): FilterError | null {
  try {
    compileFilter(reg, text);
    return null;
  } catch (err) {
    if (err instanceof FilterError) return err;
    throw err;
  }
}
