// Table columns for the events.k8s.io API group: the same rows as core Events (upstream shares the storage).
import type { TableConvertor } from '../types.ts';
import { eventTable } from './event.ts';

export const tables: Record<string, TableConvertor> = { events: eventTable };
