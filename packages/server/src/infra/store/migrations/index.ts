import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_calls.js';
import * as m0003 from './0003_kaleyra.js';
import * as m0004 from './0004_delivery_transport.js';
import * as m0005 from './0005_delivery_leases.js';
import * as m0006 from './0006_idempotency_scope_next_attempt.js';
import * as m0007 from './0007_call_lifecycle.js';
import * as m0008 from './0008_events_history.js';
import * as m0009 from './0009_platform.js';
import * as m0010 from './0010_webpush_format.js';
import * as m0011 from './0011_hms_receipts.js';
import * as m0012 from './0012_leaner_indexes.js';

/** Every migration by name, imported statically so the built package needs no file-system scan. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_calls': m0002,
  '0003_kaleyra': m0003,
  '0004_delivery_transport': m0004,
  '0005_delivery_leases': m0005,
  '0006_idempotency_scope_next_attempt': m0006,
  '0007_call_lifecycle': m0007,
  '0008_events_history': m0008,
  '0009_platform': m0009,
  '0010_webpush_format': m0010,
  '0011_hms_receipts': m0011,
  '0012_leaner_indexes': m0012,
};
