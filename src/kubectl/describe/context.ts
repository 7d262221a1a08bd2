// What a describer works with: the REST client, kubectl's describer settings (--show-events, --chunk-size), lists
// that follow `continue` tokens, and kubectl's search for an object's events.
import type { ResourceInfo } from '../discovery.ts';
import type { RestClient } from '../rest.ts';
import { DescribeWriter } from './writer.ts';

export type Fields = Record<string, any>;

export interface DescribeSettings {
  showEvents: boolean;
  /** Items per list request; 0 lists everything at once. */
  chunkSize: number;
}

/** The object a describer was asked for, and the resource it was found as. */
export interface Target {
  resource: ResourceInfo;
  obj: Fields;
}

/** An object reference as kubectl builds one to search for events (`kind` empty for pods). */
export interface EventRef {
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

export class DescribeContext {
  constructor(
    readonly rest: RestClient,
    readonly settings: DescribeSettings,
  ) {}

  get<T = Fields>(path: string, query?: Record<string, string | undefined>): Promise<T> {
    return this.rest.json<T>(query ? { path, query } : { path });
  }

  /** Every item of a list, in chunks of --chunk-size. */
  async list(path: string, query: Record<string, string | undefined> = {}, into: Fields[] = []): Promise<Fields[]> {
    let token: string | undefined;
    const limit = this.settings.chunkSize > 0 ? String(this.settings.chunkSize) : undefined;
    do {
      const list = await this.rest.json<Fields>({ path, query: { ...query, limit, continue: token } });
      into.push(...(list['items'] ?? []));
      token = list['metadata']?.continue || undefined;
    } while (token);
    return into;
  }

  /** Events about `ref` (kubectl's searchEvents); what was found before a failure, as kubectl ignores the error. */
  async searchEvents(ref: EventRef): Promise<Fields[]> {
    const selector = [`involvedObject.name=${ref.name}`, `involvedObject.namespace=${ref.namespace}`];
    if (ref.kind) selector.unshift(`involvedObject.kind=${ref.kind}`);
    if (ref.uid) selector.push(`involvedObject.uid=${ref.uid}`);
    const path = ref.namespace ? `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/events` : '/api/v1/events';
    const items: Fields[] = [];
    try {
      await this.list(path, { fieldSelector: selector.join(',') }, items);
    } catch {
      // kubectl describes the object without the events it could not list
    }
    return items;
  }

  /** The events about `obj` when --show-events is on, else undefined (no Events section). */
  async eventsFor(obj: Fields, kind: string): Promise<Fields[] | undefined> {
    if (!this.settings.showEvents) return undefined;
    const meta = obj['metadata'] ?? {};
    return this.searchEvents({ kind, name: meta.name ?? '', namespace: meta.namespace ?? '', uid: meta.uid ?? '' });
  }
}

/** A describer: the text kubectl prints for one object. */
export type Describer = (ctx: DescribeContext, target: Target) => Promise<string>;

/** Runs `fill` on a fresh writer and returns its aligned text. */
export function tabbed(fill: (w: DescribeWriter) => void): string {
  const w = new DescribeWriter();
  fill(w);
  return w.toString();
}

export const nsPath = (ns: string | undefined) => `/api/v1/namespaces/${encodeURIComponent(ns ?? '')}`;
