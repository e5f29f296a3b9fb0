import { run, which } from './exec.js';

/** Debian packages that provide what the lab runs. */
export const TOOLS: [cmd: string, pkg: string, why: string][] = [
  ['ip', 'iproute2', 'builds namespaces, links, routes'],
  ['bridge', 'iproute2', 'programs and dumps VXLAN FDB entries'],
  ['tcpdump', 'tcpdump', 'takes the captures'],
  ['nft', 'nftables', 'the firewall fault'],
  ['bird', 'bird2', 'BGP speaker of the Calico-style scenarios'],
  ['birdc', 'bird2', 'reads BGP state'],
  ['ping', 'iputils-ping', 'DF pings of several sizes'],
  ['ethtool', 'ethtool', 'turns segmentation offloads off so captures hold wire-sized frames'],
  ['python3', 'python3', "user-space forwarder of flannel's UDP backend (TUNSETIFF)"],
  ['timeout', 'coreutils', 'bounds every process the lab starts'],
];

/**
 * Everything that stops the lab from running here, each said precisely enough
 * to act on. Empty when the lab can run.
 */
export function preflight(): string[] {
  const problems: string[] = [];
  if (process.platform !== 'linux') return [`the lab needs Linux network namespaces; this is ${process.platform}`];
  if (process.getuid?.() !== 0) {
    problems.push(`not root (uid ${process.getuid?.()}): creating network namespaces, veths and bridges needs CAP_NET_ADMIN and CAP_SYS_ADMIN`);
    return problems;
  }
  for (const [cmd, pkg, why] of TOOLS) {
    if (!which(cmd)) problems.push(`\`${cmd}\` not found (Debian package ${pkg}; ${why})`);
  }
  if (problems.length) return problems;

  const ns = `nd-${process.pid}-probe`;
  const add = run(['ip', 'netns', 'add', ns], { allowFail: true });
  if (add.code !== 0) return [`cannot create a network namespace: \`ip netns add\` failed: ${add.stderr.trim()}`];
  try {
    const probes: [feature: string, argv: string[]][] = [
      ['veth', ['ip', 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']],
      ['bridge', ['ip', 'link', 'add', 'b0', 'type', 'bridge']],
      ['vxlan', ['ip', 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'nolearning', 'dev', 'p0']],
      ['macvlan', ['ip', 'link', 'add', 'mv0', 'link', 'p0', 'type', 'macvlan', 'mode', 'bridge']],
      ['tun', ['ip', 'tuntap', 'add', 'dev', 'tun0', 'mode', 'tun']],
      ['nftables', ['nft', 'add', 'table', 'inet', 'probe']],
    ];
    for (const [feature, argv] of probes) {
      const r = run(['ip', 'netns', 'exec', ns, ...argv], { allowFail: true });
      if (r.code !== 0) problems.push(`kernel feature ${feature} missing: \`${argv.join(' ')}\` failed: ${r.stderr.trim()}`);
    }
  } finally {
    run(['ip', 'netns', 'del', ns], { allowFail: true });
  }
  return problems;
}
