import { readFileSync } from 'node:fs';
import { Coverage } from './coverage.js';
const cov = new Coverage((u) => u.includes('/work/main/src/') || u.includes('/work/main/dissectors/'));
const { auditCapture, PacketAuditor, auditPipeline } = await import('./target.js');
cov.take();
console.log('load', cov.covered, cov.total, (100*cov.covered/cov.total).toFixed(1));
const a = new PacketAuditor(undefined, { outputs: true });
const buf = readFileSync('/work/main/fixtures/vxlan-4789-multi-vni.pcap');
auditCapture(buf, 'x', a); await auditPipeline(buf, 'x');
cov.take();
const maps = (cov as any).maps as Map<string, Uint8Array>;
for (const [url, m] of maps) if (url.endsWith('src/capture/reader.ts') || url.endsWith('dissectors/bgp.ts')) { let c = 0; for (const x of m) c += x; console.log(url, c, m.length); }
console.log(cov.covered, cov.total, (100*cov.covered/cov.total).toFixed(1), cov.byArea().map(([a,c,t]) => `${a} ${(100*c/t).toFixed(1)}`).join(', '));
