import type { Analyzer } from '../analyzer.js';
import { topologyCollector } from '../topology/collect.js';
import { cniSignalsCollector } from '../topology/cni-signals.js';
import { fdbAnalyzer } from './fdb.js';
import { tunnelAnalyzer } from './tunnel.js';
import { icmpAnalyzer } from './icmp.js';
import { mtuAnalyzer } from './mtu.js';
import { tcpAnalyzer } from './tcp.js';
import { captureAnalyzer } from './capture.js';
import { arpAnalyzer } from './arp.js';
import { nodeStateAnalyzer } from './node-state.js';
import { bgpAnalyzer } from './bgp.js';
import { routeUnencapsulatedAnalyzer } from './route-unencapsulated.js';
import { routeAsymmetricAnalyzer } from './route-asymmetric.js';
import { routeHostGwNextHopAnalyzer } from './route-hostgw-nexthop.js';
import { captureClockAnalyzer } from './capture-clock.js';
import { bgpFlapAnalyzer } from './bgp-flap.js';
import { bgpMeshAnalyzer } from './bgp-mesh.js';
import { bgpConnectAnalyzer } from './bgp-connect.js';
import { clusterFlannelAnalyzer } from './cluster-flannel.js';
import { clusterPodPlacementAnalyzer } from './cluster-pod-placement.js';
import { clusterCalicoBgpAnalyzer } from './cluster-calico-bgp.js';
import { clusterCniAnalyzer } from './cluster-cni.js';
import { clusterServiceAnalyzer } from './cluster-service.js';
import { pathAnalyzer } from './path-loss.js';
import { tunnelChecksumAnalyzer } from './tunnel-checksum.js';

/**
 * Every analyzer, one fault family per module. A new analyzer is one file plus one line here.
 * The topology collector comes first: the others read the topology it builds.
 */
export const analyzers: readonly Analyzer[] = [
  topologyCollector as Analyzer,
  cniSignalsCollector as Analyzer,
  // Causes first: later analyzers read model.findings to tell symptoms from causes.
  fdbAnalyzer as Analyzer,
  nodeStateAnalyzer as Analyzer,
  arpAnalyzer as Analyzer,
  routeUnencapsulatedAnalyzer as Analyzer,
  routeAsymmetricAnalyzer as Analyzer,
  bgpAnalyzer as Analyzer,
  bgpConnectAnalyzer as Analyzer,
  bgpFlapAnalyzer as Analyzer,
  bgpMeshAnalyzer as Analyzer,
  routeHostGwNextHopAnalyzer as Analyzer,
  clusterFlannelAnalyzer as Analyzer,
  clusterPodPlacementAnalyzer as Analyzer,
  clusterCalicoBgpAnalyzer as Analyzer,
  clusterCniAnalyzer as Analyzer,
  clusterServiceAnalyzer as Analyzer,
  tunnelAnalyzer as Analyzer,
  tunnelChecksumAnalyzer as Analyzer,
  mtuAnalyzer as Analyzer,
  icmpAnalyzer as Analyzer,
  tcpAnalyzer as Analyzer,
  captureAnalyzer as Analyzer,
  captureClockAnalyzer as Analyzer,
  // Last: it localizes what the others found and reads their findings.
  pathAnalyzer as Analyzer,
];
