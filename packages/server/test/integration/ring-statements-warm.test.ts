import type { CompiledQuery } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../src/domain/calls/index.js';
import { type DevicesDeps, DevicesService } from '../../src/domain/devices/index.js';
import { openStore, type Store } from '../../src/infra/store/index.js';
import { storeTargets } from '../support/services.js';
import { aCall, aDelivery } from '../unit/fixtures.js';

// The statements a gateway prepares at start (before it listens) must be the very ones its first ring runs:
// the callee's devices, the call and its deliveries, an outcome. Otherwise the first caller pays for building
// and parsing them after all.

const { targets, cleanUp } = await storeTargets('warmsql');
afterAll(cleanUp);

describe.each(targets)('the ring path statements warmed on %s', (_engine, options) => {
  it('are every statement a first ring to one to four devices runs', async () => {
    const store = await openStore(options);
    const prepared = new Set<string>();
    const ran: string[] = [];
    const watched: Store = Object.create(store, {
      prepare: {
        value: (queries: readonly CompiledQuery[]) => {
          for (const q of queries) prepared.add(q.sql);
          store.prepare(queries);
        },
      },
      batched: {
        value: (work: Parameters<Store['batched']>[0]) => {
          if (typeof work !== 'function') ran.push(...work.statements.map((s) => s.sql));
          return store.batched(work);
        },
      },
    });
    const executeQuery = store.db.executeQuery.bind(store.db);
    store.db.executeQuery = ((query: CompiledQuery) => {
      ran.push(query.sql);
      return executeQuery(query);
    }) as typeof store.db.executeQuery;

    const now = Date.now();
    await store.db
      .insertInto('apps')
      .values({ key: 'app1', name: 'n', secret_enc: 'v1.x.y', created_at: now })
      .execute();
    const repo = new CallsRepository(watched);
    // Reads only: the provider check of a registration is never reached.
    const providers = {} as DevicesDeps['providers'];
    const devices = new DevicesService({ store: watched, providers }, { maxDevicesPerUser: 10 });
    repo.warm();
    devices.warm();
    expect(prepared.size).toBeGreaterThanOrEqual(6);

    for (let n = 1; n <= 4; n++) {
      ran.length = 0;
      await devices.listForUser('app1', `bob${n}`);
      const call = aCall({ id: `c_warm${n}`, createdAt: now, updatedAt: now, expiresAt: now + 30_000 });
      const deliveries = Array.from({ length: n }, (_, i) =>
        aDelivery({
          id: `d_warm${n}_${i}`,
          callId: call.id,
          deviceId: `dev${i}`,
          createdAt: now,
          deadline: now + 30_000,
        }),
      );
      await repo.insertCall(call, undefined, deliveries);
      await repo.updateDelivery(deliveries[0]!.id, { state: 'sent', attempts: 1, sentAt: now, providerId: 'm1' }, now);
      // What ran besides the transaction around a batch (SQLite) or the merged statement's wrapper (PostgreSQL).
      const ringPath = ran.filter((s) => !/^(begin|commit|rollback|with )/i.test(s.trim()));
      expect(ringPath.length).toBeGreaterThanOrEqual(3);
      for (const statement of ringPath) expect(prepared).toContain(statement);
    }
    await store.close();
  });
});
