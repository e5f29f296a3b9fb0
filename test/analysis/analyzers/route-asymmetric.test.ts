import { describe, expect, it } from 'vitest';
import { ethernet, ETHERTYPE, ipTcp, sll2 } from '../../../src/craft/index.js';
import { analyzeFiles, MultiInterfaceCapture } from '../../helpers/capture-files.js';

const POD = '100.96.1.10';
const REMOTE = '100.96.2.10';
const MAC = { pod: '0a:58:64:60:01:0a', bridge: '0a:58:64:60:01:01', eth0: '02:00:00:00:00:01', eth1: '02:00:00:00:01:01', gw0: '02:00:00:00:00:fe', gw1: '02:00:00:00:01:fe' };
const VETH = 0;
const ETH0 = 1;
const ETH1 = 2;

const syn = (src: string, dst: string, ttl: number) => ipTcp({ src: POD, dst: REMOTE, ttl, df: true, sport: 43000, dport: 80, seq: 1, flags: 'S' });
const synAck = (ttl: number) => ipTcp({ src: REMOTE, dst: POD, ttl, df: true, sport: 80, dport: 43000, seq: 7, ack: 2, flags: 'SA' });
const cooked = (ifindex: number, packetType: 'host' | 'outgoing', addr: string, ip: Buffer) => sll2({ ifindex, packetType, addr, protocol: ETHERTYPE.IPV4 }, ip);
const frame = (src: string, dst: string, ip: Buffer) => ethernet({ src, dst, type: ETHERTYPE.IPV4 }, ip);

/**
 * A node with a pod veth and two uplinks, captured on all three: the pod's SYN leaves on
 * eth0, the SYN-ACK comes back on eth1; `forwarded` says whether the node passes it on to the pod.
 */
function node1(opts: { replyIface: number; forwarded: boolean; attempts: number }) {
  const c = new MultiInterfaceCapture('node1.pcapng', [{ name: 'veth1a2b' }, { name: 'eth0' }, { name: 'eth1' }]);
  for (let k = 0; k < opts.attempts; k++) {
    const t = k === 0 ? 0 : 2 ** (k - 1);
    c.add(t, VETH, frame(MAC.pod, MAC.bridge, syn(POD, REMOTE, 64)), 'inbound');
    c.add(t + 0.0001, ETH0, frame(MAC.eth0, MAC.gw0, syn(POD, REMOTE, 63)), 'outbound');
    const back = opts.replyIface === ETH1 ? frame(MAC.gw1, MAC.eth1, synAck(62)) : frame(MAC.gw0, MAC.eth0, synAck(62));
    c.add(t + 0.001, opts.replyIface, back, 'inbound');
    if (opts.forwarded) c.add(t + 0.0011, VETH, frame(MAC.bridge, MAC.pod, synAck(61)), 'outbound');
  }
  return { name: c.name, bytes: c.bytes() };
}

const routeFindings = async (file: { name: string; bytes: Buffer }) => (await analyzeFiles([file])).findings.filter((f) => f.component === 'route');

describe('asymmetric paths within one multi-interface capture', () => {
  it('names replies that arrive on another uplink and are never forwarded (rp_filter)', async () => {
    const [f, ...more] = await routeFindings(node1({ replyIface: ETH1, forwarded: false, attempts: 4 }));
    expect(more).toEqual([]);
    expect(f).toMatchObject({ id: 'route.reply-dropped-asymmetric', severity: 'error', component: 'route' });
    expect(f!.title).toContain('eth1');
    expect(f!.title).toContain('eth0');
    expect(f!.evidence[0]!.count).toBe(4);
    expect(f!.remedy.join('\n')).toContain('rp_filter');
  });

  it('only notes an asymmetric path when the replies reach the pod', async () => {
    const found = await routeFindings(node1({ replyIface: ETH1, forwarded: true, attempts: 1 }));
    expect(found.map((f) => [f.id, f.severity])).toEqual([['route.asymmetric-path', 'info']]);
  });

  it('finds nothing when requests and replies share the uplink', async () => {
    expect(await routeFindings(node1({ replyIface: ETH0, forwarded: true, attempts: 1 }))).toEqual([]);
  });

  it('finds nothing when the reply never comes back at all (that is a handshake failure, not a path)', async () => {
    const c = new MultiInterfaceCapture('node1.pcapng', [{ name: 'veth1a2b' }, { name: 'eth0' }]);
    for (let k = 0; k < 3; k++) {
      c.add(k, VETH, frame(MAC.pod, MAC.bridge, syn(POD, REMOTE, 64)), 'inbound');
      c.add(k + 0.0001, ETH0, frame(MAC.eth0, MAC.gw0, syn(POD, REMOTE, 63)), 'outbound');
    }
    expect(await routeFindings({ name: c.name, bytes: c.bytes() })).toEqual([]);
  });

  it('reads the interfaces of a Linux cooked v2 (tcpdump -i any) capture', async () => {
    const c = new MultiInterfaceCapture('node1-any.pcapng', [{ name: 'any', linktype: 276 }]);
    for (let k = 0; k < 3; k++) {
      c.add(k, 0, cooked(7, 'host', MAC.pod, syn(POD, REMOTE, 64)));
      c.add(k + 0.0001, 0, cooked(2, 'outgoing', MAC.eth0, syn(POD, REMOTE, 63)));
      c.add(k + 0.001, 0, cooked(3, 'host', MAC.gw1, synAck(62)));
    }
    const [f] = await routeFindings({ name: c.name, bytes: c.bytes() });
    expect(f?.id).toBe('route.reply-dropped-asymmetric');
    expect(f?.title).toContain('ifindex 3');
  });
});
