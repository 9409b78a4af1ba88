import type { DataSource } from 'typeorm';

/**
 * The books, checked in one statement (so one snapshot):
 * - conservation: all stock on hand + all stock in transit == all adjustments ever made;
 * - per level: sum of its ledger deltas == onHand;
 * - per station: committed volume == (onHand + incoming) volume + inbound scheduled volume.
 */
export async function checkBooks(dataSource: DataSource): Promise<{
  onHand: number;
  inTransit: number;
  adjustments: number;
  badLevels: number;
  badStations: number;
  negative: number;
}> {
  const [row] = await dataSource.query(`
    SELECT
      (SELECT coalesce(sum(on_hand), 0) FROM stock_levels)::bigint AS "onHand",
      (SELECT coalesce(sum(i.quantity), 0) FROM shipment_items i JOIN shipments s ON s.id = i.shipment_id
        WHERE s.status = 'in_transit')::bigint AS "inTransit",
      (SELECT coalesce(sum(delta), 0) FROM stock_ledger WHERE reason = 'adjustment')::bigint AS adjustments,
      (SELECT count(*) FROM stock_levels l
         LEFT JOIN (SELECT station_id, commodity_id, sum(delta) AS total FROM stock_ledger GROUP BY 1, 2) g
           USING (station_id, commodity_id)
        WHERE coalesce(g.total, 0) <> l.on_hand)::int AS "badLevels",
      (SELECT count(*) FROM stations st
        WHERE st.committed_volume <> (
          SELECT coalesce(sum((l.on_hand + l.incoming) * c.unit_volume), 0)
            FROM stock_levels l JOIN commodities c ON c.id = l.commodity_id WHERE l.station_id = st.id
        ) + (
          SELECT coalesce(sum(s.volume), 0) FROM shipments s
           WHERE s.destination_station_id = st.id AND s.status = 'scheduled'
        ))::int AS "badStations",
      (SELECT count(*) FROM stock_levels WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand OR incoming < 0)::int
        AS negative
  `);
  return {
    onHand: Number(row.onHand),
    inTransit: Number(row.inTransit),
    adjustments: Number(row.adjustments),
    badLevels: row.badLevels,
    badStations: row.badStations,
    negative: row.negative,
  };
}

export async function expectBooksBalanced(dataSource: DataSource): Promise<void> {
  const books = await checkBooks(dataSource);
  expect(books.onHand + books.inTransit).toBe(books.adjustments);
  expect(books).toMatchObject({ badLevels: 0, badStations: 0, negative: 0 });
}

export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  {
    timeoutMs = 30_000,
    intervalMs = 50,
    onTick,
  }: { timeoutMs?: number; intervalMs?: number; onTick?: () => Promise<void> } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)}`);
    await onTick?.();
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
