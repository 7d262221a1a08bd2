// Table columns for the discovery.k8s.io API group.
import type { TableConvertor } from '../types.ts';
import { ageColumn, ageOf, arr, col, convertor, listWithMore, nameColumn, nameOf, str } from './format.ts';

const MAX_SHOWN = 3;

/** Port numbers (or names, or "*"), at most three. */
export function formatSlicePorts(ports: unknown): string {
  const list: string[] = [];
  let more = false;
  let total = 0;
  for (const port of arr(ports)) {
    if (list.length < MAX_SHOWN) {
      if (typeof port?.port === 'number') list.push(String(port.port));
      else if (typeof port?.name === 'string') list.push(port.name);
      else list.push('*');
    } else if (list.length === MAX_SHOWN) {
      more = true;
    }
    total++;
  }
  return listWithMore(list, more, total, MAX_SHOWN);
}

/** Endpoint addresses, at most three. */
export function formatSliceEndpoints(endpoints: unknown): string {
  const list: string[] = [];
  let more = false;
  let total = 0;
  for (const ep of arr(endpoints)) {
    for (const address of arr(ep?.addresses)) {
      if (list.length < MAX_SHOWN) list.push(String(address));
      else if (list.length === MAX_SHOWN) more = true;
      total++;
    }
  }
  return listWithMore(list, more, total, MAX_SHOWN);
}

const endpointSlices = convertor(
  [
    nameColumn(),
    col('AddressType', 'string', 'The type of address carried by this EndpointSlice: IPv4, IPv6 or FQDN.'),
    col('Ports', 'string', 'The network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'string', 'A list of unique endpoints in this slice.'),
    ageColumn(),
  ],
  (obj, now) => [nameOf(obj), str(obj.addressType), formatSlicePorts(obj.ports), formatSliceEndpoints(obj.endpoints), ageOf(obj, now)],
);

export const tables: Record<string, TableConvertor> = { endpointslices: endpointSlices };
