import type { Analyzer } from '../analyzer.js';
import { topologyCollector } from '../topology/collect.js';
import { fdbAnalyzer } from './fdb.js';
import { tunnelAnalyzer } from './tunnel.js';
import { icmpAnalyzer } from './icmp.js';
import { mtuAnalyzer } from './mtu.js';
import { tcpAnalyzer } from './tcp.js';
import { captureAnalyzer } from './capture.js';
import { arpAnalyzer } from './arp.js';
import { nodeStateAnalyzer } from './node-state.js';
import { bgpAnalyzer } from './bgp.js';

/**
 * Every analyzer, one fault family per module. A new analyzer is one file plus one line here.
 * The topology collector comes first: the others read the topology it builds.
 */
export const analyzers: readonly Analyzer[] = [
  topologyCollector as Analyzer,
  // Causes first: later analyzers read model.findings to tell symptoms from causes.
  fdbAnalyzer as Analyzer,
  nodeStateAnalyzer as Analyzer,
  arpAnalyzer as Analyzer,
  bgpAnalyzer as Analyzer,
  tunnelAnalyzer as Analyzer,
  mtuAnalyzer as Analyzer,
  icmpAnalyzer as Analyzer,
  tcpAnalyzer as Analyzer,
  captureAnalyzer as Analyzer,
];
