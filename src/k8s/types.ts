/**
 * The cluster's own records, as `kubectl get ... -o json|yaml` returns them, reduced to what
 * netdiag checks against the wire. Plain data (JSON-serializable), like the rest of the model.
 */

export interface K8sNode {
  name: string;
  /** status.addresses of type InternalIP (then ExternalIP), in the API's order. */
  internalIPs: string[];
  hostname: string | null;
  /** spec.podCIDRs, else [spec.podCIDR]. */
  podCIDRs: string[];
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

export interface K8sPod {
  name: string;
  namespace: string;
  node: string | null;
  /** status.podIPs, else [status.podIP]. */
  ips: string[];
  hostIP: string | null;
  hostNetwork: boolean;
  phase: string | null;
}

export interface K8sServicePort {
  name: string | null;
  protocol: string;
  port: number;
  /** A number, or a named container port (kept as text). */
  targetPort: number | string | null;
}

export interface K8sService {
  name: string;
  namespace: string;
  type: string;
  /** spec.clusterIPs, else [spec.clusterIP]; empty for headless Services. */
  clusterIPs: string[];
  ports: K8sServicePort[];
}

export interface K8sEndpoint {
  addresses: string[];
  nodeName: string | null;
  ready: boolean | null;
  /** targetRef as `namespace/name` of its kind (usually a Pod). */
  target: { kind: string; namespace: string | null; name: string } | null;
}

export interface K8sEndpointSlice {
  name: string;
  namespace: string;
  /** The Service it belongs to (label kubernetes.io/service-name). */
  service: string | null;
  endpoints: K8sEndpoint[];
  ports: { name: string | null; protocol: string; port: number | null }[];
}

export interface CalicoIPPool {
  name: string;
  cidr: string;
  blockSize: number | null;
  /** Never, Always, CrossSubnet (the API's spelling; absent means Never). */
  ipipMode: string;
  vxlanMode: string;
  disabled: boolean;
}

export interface CalicoBlockAffinity {
  name: string;
  cidr: string;
  node: string;
  state: string | null;
}

export interface CalicoBGPPeer {
  name: string;
  peerIP: string | null;
  asNumber: number | null;
  /** Applies to this node only (spec.node); null means every node (or a nodeSelector). */
  node: string | null;
  nodeSelector: string | null;
  peerSelector: string | null;
}

export interface CalicoBGPConfiguration {
  name: string;
  /** spec.nodeToNodeMeshEnabled; null when absent (Calico's default is true). */
  nodeToNodeMeshEnabled: boolean | null;
  asNumber: number | null;
}

export interface CiliumNode {
  name: string;
  podCIDRs: string[];
  addresses: { type: string; ip: string }[];
}

export interface KubeOvnSubnet {
  name: string;
  cidr: string;
  gateway: string | null;
  /** overlay or underlay. */
  gatewayType: string | null;
  vlan: string | null;
}

export interface KubeOvnIP {
  name: string;
  ip: string;
  podName: string | null;
  namespace: string | null;
  node: string | null;
  subnet: string | null;
}

export interface ClusterState {
  nodes: K8sNode[];
  pods: K8sPod[];
  services: K8sService[];
  endpointSlices: K8sEndpointSlice[];
  calico: {
    ipPools: CalicoIPPool[];
    blockAffinities: CalicoBlockAffinity[];
    bgpPeers: CalicoBGPPeer[];
    bgpConfigurations: CalicoBGPConfiguration[];
  };
  ciliumNodes: CiliumNode[];
  kubeOvn: { subnets: KubeOvnSubnet[]; ips: KubeOvnIP[] };
  /** Objects of kinds netdiag does not read, counted per kind. */
  ignored: Record<string, number>;
  /** Files read, as given. */
  sources: string[];
  /** What could not be read: `file: what was wrong`. */
  problems: string[];
}

export function emptyClusterState(): ClusterState {
  return {
    nodes: [],
    pods: [],
    services: [],
    endpointSlices: [],
    calico: { ipPools: [], blockAffinities: [], bgpPeers: [], bgpConfigurations: [] },
    ciliumNodes: [],
    kubeOvn: { subnets: [], ips: [] },
    ignored: {},
    sources: [],
    problems: [],
  };
}
