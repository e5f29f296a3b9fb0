import { annotateAddresses, type AddressName } from '../k8s/names.js';

/** The report's `names`: addresses the cluster state names (absent or empty without it). */
export type AddressNames = Readonly<Record<string, AddressName>> | undefined;

/** `namespace/pod`, `namespace/service` or the node's name; undefined for an address the cluster does not name. */
export function nameOf(names: AddressNames, address: string | null | undefined): string | undefined {
  if (!names || !address || !Object.hasOwn(names, address)) return undefined;
  const n = names[address]!;
  return n.namespace !== undefined ? `${n.namespace}/${n.name}` : n.name;
}

/** What a one-line list shows: the name when the cluster has one, else the address. */
export function shortAddress(names: AddressNames, address: string, name?: string): string {
  return name ?? nameOf(names, address) ?? address;
}

/** What a detail line shows: `default/checkout-7d9f (100.96.1.10)`, so the address stays visible. */
export function longAddress(names: AddressNames, address: string, name?: string): string {
  const n = name ?? nameOf(names, address);
  return n === undefined ? address : `${n} (${address})`;
}

/** Free text (finding titles, details, evidence notes) with each named address followed by its name. */
export function annotate(names: AddressNames, text: string): string {
  return names && Object.keys(names).length > 0 ? annotateAddresses(text, names) : text;
}
