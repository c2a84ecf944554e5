import { afterAll, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../src/domain/calls/index.js';
import { openStore } from '../../src/infra/store/index.js';
import { storeTargets } from '../support/services.js';
import { aCall, aDelivery } from '../unit/fixtures.js';

// Group commit as the ring path uses it: many small writes in one turn of the event loop share a commit (on
// PostgreSQL one merged statement), yet each is applied exactly as if it had run alone.

const { targets, cleanUp } = await storeTargets('batch');
afterAll(cleanUp);

const now = Date.now();
let n = 0;
/** A call of app `app1` with one ring delivery per device, ids unique across the file. */
function aCallWith(devices: number) {
  const id = `c_batch${++n}`;
  const call = aCall({ id, createdAt: now, updatedAt: now, expiresAt: now + 30_000 });
  const deliveries = Array.from({ length: devices }, (_, i) =>
    aDelivery({ id: `d_${id}_${i}`, callId: id, deviceId: `dev${i}`, createdAt: now, deadline: now + 30_000 }),
  );
  return { call, deliveries };
}

describe.each(targets)('batched writes on %s', (_engine, options) => {
  it('commits a burst of placed calls and outcomes, each exactly as written', async () => {
    const store = await openStore(options);
    await store.db
      .insertInto('apps')
      .values({ key: 'app1', name: 'n', secret_enc: 'v1.x.y', created_at: now })
      .onConflict((c) => c.doNothing())
      .execute();
    const repo = new CallsRepository(store);
    const earlier = Array.from({ length: 20 }, () => aCallWith(2));
    await Promise.all(earlier.map(({ call, deliveries }) => repo.insertCall(call, undefined, deliveries)));

    // One turn: 100 new calls (300 deliveries) and an outcome for each earlier delivery.
    const placed = Array.from({ length: 100 }, () => aCallWith(3));
    await Promise.all([
      ...placed.map(({ call, deliveries }) => repo.insertCall(call, undefined, deliveries)),
      ...earlier.flatMap(({ deliveries }) =>
        deliveries.map((d, i) =>
          repo.updateDelivery(d.id, { state: 'sent', attempts: 1, sentAt: now + i, providerId: `m-${d.id}` }, now + 5),
        ),
      ),
    ]);

    for (const { call, deliveries } of placed) {
      const stored = await repo.deliveriesOf(call.id);
      expect(stored.map((d) => d.id)).toEqual(deliveries.map((d) => d.id));
      expect((await repo.findCall('app1', call.id))?.state).toBe('ringing');
    }
    for (const { call, deliveries } of earlier) {
      const stored = await repo.deliveriesOf(call.id);
      expect(stored.map((d) => [d.state, d.attempts, d.providerId])).toEqual(
        deliveries.map((d) => ['sent', 1, `m-${d.id}`]),
      );
    }
    await store.close();
  });

  it('applies two changes of one delivery in one turn in order, and a change of a delivery inserted just before', async () => {
    const store = await openStore(options);
    const repo = new CallsRepository(store);
    const { call, deliveries } = aCallWith(1);
    const [ring] = deliveries;
    const [inserted, first, second] = [
      repo.insertCall(call, undefined, deliveries),
      repo.updateDelivery(ring!.id, { state: 'sent', attempts: 1, sentAt: now + 1, detail: 'first' }, now + 1),
      repo.updateDelivery(ring!.id, { outcome: 'accepted', detail: 'second' }, now + 2),
    ];
    await Promise.all([inserted, first, second]);
    const [stored] = await repo.deliveriesOf(call.id);
    // The first change's fields stay where the second left them out; the second's win where both set them.
    expect(stored).toMatchObject({
      state: 'sent',
      attempts: 1,
      sentAt: now + 1,
      outcome: 'accepted',
      detail: 'second',
    });
    await store.close();
  });

  it('fails only the write that cannot be made; the others of its turn commit', async () => {
    const store = await openStore(options);
    const repo = new CallsRepository(store);
    const taken = aCallWith(1);
    await repo.insertCall(taken.call, undefined, taken.deliveries);
    const fresh = Array.from({ length: 5 }, () => aCallWith(2));
    const again = aCallWith(1);
    const results = await Promise.allSettled([
      ...fresh.map(({ call, deliveries }) => repo.insertCall(call, undefined, deliveries)),
      // The same call id again (with new deliveries of it): a unique violation.
      repo.insertCall(
        taken.call,
        undefined,
        again.deliveries.map((d) => ({ ...d, callId: taken.call.id })),
      ),
    ]);
    expect(results.map((r) => r.status)).toEqual([...fresh.map(() => 'fulfilled'), 'rejected']);
    for (const { call } of fresh) expect(await repo.deliveriesOf(call.id)).toHaveLength(2);
    expect(await repo.deliveriesOf(taken.call.id)).toEqual(
      taken.deliveries.map((d) => expect.objectContaining({ id: d.id })),
    );
    await store.close();
  });

  it('refuses writes once closing, after committing those already asked for', async () => {
    const store = await openStore(options);
    const repo = new CallsRepository(store);
    const before = aCallWith(2);
    const pending = repo.insertCall(before.call, undefined, before.deliveries);
    const closing = store.close();
    const late = aCallWith(1);
    await expect(repo.insertCall(late.call, undefined, late.deliveries)).rejects.toThrow(/store is closed/);
    await pending;
    await closing;
    const reopened = await openStore(options);
    expect(await new CallsRepository(reopened).deliveriesOf(before.call.id)).toHaveLength(2);
    await reopened.close();
  });
});
