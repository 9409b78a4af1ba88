import request from 'supertest';
import { Actor, createActor } from './helpers/auth';
import { checkBooks, waitFor } from './helpers/invariants';
import { RealtimeClient } from './helpers/realtime-client';
import { SseRecorder } from './helpers/sse-recorder';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';

const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const shout = (text: string) => text.replace(UUID_ANYWHERE, (id) => id.toUpperCase());
/** Every id in a JSON value, in upper case. */
const shouted = <T>(value: T): T => JSON.parse(shout(JSON.stringify(value))) as T;
const hasUpperCaseId = (text: string) => (text.match(UUID_ANYWHERE) ?? []).some((id) => id !== id.toLowerCase());

describe('Ids in any case are the same ids, at every entry point (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let seller: Actor;
  let w: World;
  let tradeId: string;
  let shipmentId: string;

  beforeAll(async () => {
    t = await createTestApp({ SIM_TIME_SCALE: '1' });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE', 'ICE'] });
    seller = await createActor(t, 'trader', [w.stations.A]);
    for (const commodityId of [w.commodities.ORE, w.commodities.ICE]) {
      await admin
        .post(`/api/inventory/${w.stations.A}/adjustments`)
        .send({ commodityId, delta: 1000, reason: 'stock' })
        .expect(201);
    }
    const trade = await seller
      .post('/api/trades')
      .send({
        sellerStationId: w.stations.A,
        buyerStationId: w.stations.B,
        items: [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 1 }],
      })
      .expect(201);
    tradeId = trade.body.transactionId;
    shipmentId = trade.body.shipmentId;
  });
  afterAll(() => t.close());

  it('answers every read the same, whatever the case of its ids', async () => {
    const reads = [
      `/api/planets/${w.planetId}`,
      `/api/stations/${w.stations.A}`,
      `/api/stations?planetId=${w.planetId}`,
      `/api/stations/${w.stations.A}/members`,
      `/api/commodities/${w.commodities.ORE}`,
      `/api/inventory/${w.stations.A}`,
      `/api/inventory/${w.stations.A}/ledger?commodityId=${w.commodities.ORE}`,
      `/api/trades/${tradeId}`,
      `/api/trades?stationId=${w.stations.A}`,
      `/api/cargo/${shipmentId}`,
      `/api/cargo?stationId=${w.stations.A}`,
      `/api/updates/real-time?stationId=${w.stations.A}`,
    ];
    const failures: string[] = [];
    for (const caller of [admin, seller]) {
      for (const path of reads) {
        const lower = await caller.get(path);
        if (lower.status >= 400 && !(caller === seller && path.includes('/members')))
          failures.push(`${lower.status} ${path}`);
        // Read twice, the second time through the in-memory answers where there are any.
        for (const upper of [await caller.get(shout(path)), await caller.get(shout(path))]) {
          if (upper.status !== lower.status || JSON.stringify(upper.body) !== JSON.stringify(lower.body))
            failures.push(`${caller.role} ${shout(path)}: ${upper.status} ${upper.text.slice(0, 160)}`);
          if (hasUpperCaseId(upper.text)) failures.push(`${caller.role} ${shout(path)} answered an id in upper case`);
        }
      }
    }
    expect(failures).toEqual([]);
    // The caller's ETag holds across spellings.
    const etag = (await seller.get(`/api/inventory/${w.stations.A}`).expect(200)).headers.etag;
    await seller
      .get(shout(`/api/inventory/${w.stations.A}`))
      .set('If-None-Match', etag)
      .expect(304);
  });

  it('takes writes with upper-case ids as the same stations, and live streams of either case get their events', async () => {
    const socket = await RealtimeClient.connect(t.url, seller.accessToken);
    expect(await socket.subscribe(w.stations.A.toUpperCase())).toMatchObject({ ok: true });
    const sse = await SseRecorder.open(`${t.url}/api/updates/real-time?stationId=${w.stations.A.toUpperCase()}`, {
      Authorization: `Bearer ${seller.accessToken}`,
    });
    expect(sse.status).toBe(200);
    try {
      const body = {
        sellerStationId: w.stations.A,
        buyerStationId: w.stations.B,
        items: [{ commodityId: w.commodities.ICE, quantity: 2, unitPrice: 5 }],
      };
      const trade = await seller.post('/api/trades').set('Idempotency-Key', 'case-1').send(shouted(body)).expect(201);
      expect(hasUpperCaseId(trade.text)).toBe(false);
      expect(trade.body).toMatchObject({ sellerStationId: w.stations.A, buyerStationId: w.stations.B });
      // The same key with the same request in another case is the same request.
      const replay = await seller.post('/api/trades').set('Idempotency-Key', 'case-1').send(body).expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.transactionId).toBe(trade.body.transactionId);

      const isTrade = (e: { type: string; data: Record<string, unknown> }) =>
        e.type === 'trade.created' && e.data.transactionId === trade.body.transactionId;
      await socket.waitFor(isTrade);
      await sse.waitFor((e) => isTrade(e.data as { type: string; data: Record<string, unknown> }));
      const polled = await seller.get(`/api/updates/real-time?stationId=${w.stations.A.toUpperCase()}&limit=100`);
      expect((polled.body.events as { type: string; data: Record<string, unknown> }[]).some(isTrade)).toBe(true);

      await seller.post(`/api/trades/${trade.body.transactionId.toUpperCase()}/cancel`).expect(200);
      const cargo = await seller
        .post('/api/cargo')
        .send(
          shouted({
            originStationId: w.stations.A,
            destinationStationId: w.stations.B,
            items: [{ commodityId: w.commodities.ICE, quantity: 1 }],
          }),
        )
        .expect(201);
      expect(hasUpperCaseId(cargo.text)).toBe(false);
      await seller.post(`/api/cargo/${cargo.body.shipmentId.toUpperCase()}/cancel`).expect(200);
      await seller
        .post(shout(`/api/inventory/${w.stations.A}/adjustments`))
        .send(shouted({ commodityId: w.commodities.ICE, delta: 3, reason: 'found' }))
        .expect(201);
    } finally {
      socket.close();
      sse.close();
    }
  });

  it('grants and removes memberships given in upper case as the ones the guards check', async () => {
    const newcomer = await createActor(t, 'trader');
    await admin
      .post(shout(`/api/stations/${w.stations.B}/members`))
      .send({ userId: newcomer.id.toUpperCase() })
      .expect(201);
    await newcomer.get(`/api/inventory/${w.stations.B}`).expect(200);
    await admin.delete(shout(`/api/stations/${w.stations.B}/members/${newcomer.id}`)).expect(204);
    await waitFor(
      () => newcomer.get(`/api/inventory/${w.stations.B}`).then((r) => r.status),
      (status) => status === 403,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  });

  it('lost and created nothing', async () => {
    const books = await checkBooks(t.dataSource);
    expect(books.onHand + books.inTransit).toBe(books.adjustments);
    expect(books).toMatchObject({ badLevels: 0, badStations: 0, negative: 0 });
    const [{ upper }] = await t.dataSource.query<{ upper: number }[]>(
      `SELECT count(*)::int AS upper FROM station_members WHERE user_id::text <> lower(user_id::text)`,
    );
    expect(upper).toBe(0);
    expect((await request(t.url).get('/health/live')).status).toBe(200);
  });
});
