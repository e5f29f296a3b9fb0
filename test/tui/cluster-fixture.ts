import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Item {
  kind: string;
  metadata: { name: string; namespace?: string };
  status?: { podIP?: string; addresses?: Array<{ type: string; address: string }> };
  spec?: { clusterIP?: string };
}

/** A lab run's kubectl JSON (`kubectl get nodes,pods,services,endpointslices -A -o json`). */
export function clusterItems(run: string): Item[] {
  return (JSON.parse(readFileSync(join(run, 'k8s', 'cluster.json'), 'utf8')) as { items: Item[] }).items;
}

/** What an address is called, read straight from the kubectl objects: `ns/pod`, `ns/service`, the node's name. */
export function nameInCluster(run: string, address: string): string {
  for (const it of clusterItems(run)) {
    if (it.kind === 'Node' && it.status?.addresses?.some((a) => a.type === 'InternalIP' && a.address === address)) return it.metadata.name;
  }
  for (const it of clusterItems(run)) {
    if (it.kind === 'Pod' && it.status?.podIP === address) return `${it.metadata.namespace}/${it.metadata.name}`;
    if (it.kind === 'Service' && it.spec?.clusterIP === address) return `${it.metadata.namespace}/${it.metadata.name}`;
  }
  throw new Error(`${address} is not in ${run}'s cluster state`);
}

/** A copy of the run's cluster state in a temporary directory with the pod at `address` renamed. */
export function renamedPod(run: string, address: string, name: string): string {
  const doc = JSON.parse(readFileSync(join(run, 'k8s', 'cluster.json'), 'utf8')) as { items: Item[] };
  const pod = doc.items.find((it) => it.kind === 'Pod' && it.status?.podIP === address);
  if (!pod) throw new Error(`no pod has ${address}`);
  pod.metadata.name = name;
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-tui-cluster-'));
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(doc));
  return dir;
}
