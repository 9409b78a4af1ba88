import { RealtimeGateway } from '@itn/events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { Actor, createActor, TEST_PASSWORD } from './helpers/auth';
import {
  launchChromium,
  waitForAttribute,
  waitForText,
  waitUntil,
  watchConsole,
  WebSocketGate,
} from './helpers/browser';
import { expectErrorFormat } from './helpers/error-format';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { describeWithChromium } from './helpers/test-env';
import { buildWorld, World } from './helpers/world';

const ARTIFACTS = join(__dirname, '..', 'test-artifacts');

/** The little of the DOM a shipment card is read with (the test is compiled without the DOM library). */
interface CardNode {
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null;
}

interface ProgressSample {
  status: string;
  percent: number;
  label: string;
}

describeWithChromium('Station dashboard (e2e, headless Chromium)', () => {
  let browser: Browser;
  let t: TestApp;
  let admin: Actor;
  let trader: Actor;
  let w: World;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    // First, so that a browser that does not start fails the suite at once.
    browser = await launchChromium();
    // A trip between neighbouring stations then takes about a second and a half.
    t = await createTestApp({ SIM_TIME_SCALE: '50000' });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, {
      stations: ['CERES', 'VESTA', 'PALLAS'],
      commodities: ['ORE', 'ICE', 'FUEL'],
      prefix: 'BELT',
    });
    await stock(w.stations.CERES, w.commodities.ORE, 500);
    await stock(w.stations.CERES, w.commodities.ICE, 200);
    await stock(w.stations.VESTA, w.commodities.FUEL, 50);
    trader = await createActor(t, 'trader', [w.stations.CERES]);

    context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    page = await context.newPage();
    // The browser logs the refusals the test provokes.
    problems = watchConsole(page, [/Failed to load resource: the server responded with a status of 4\d\d/]);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const stock = (stationId: string, commodityId: string, delta: number) =>
    admin
      .post(`/api/inventory/${stationId}/adjustments`)
      .send({ commodityId, delta, reason: 'dashboard test stock' })
      .expect(201);
  const byTestId = (id: string) => page.getByTestId(id);
  const cell = (sku: string, field: string) =>
    page.locator(`[data-testid="inventory-row"][data-sku="BELT-${sku}"] [data-field="${field}"]`);
  const feedCard = (kind: 'trade' | 'shipment', id: string) =>
    page.locator(`[data-testid="feed-item"][data-kind="${kind}"][data-id="${id}"]`);
  const line = (form: 'trade' | 'cargo', field: string) =>
    byTestId(`${form}-lines`).getByTestId('line').first().getByTestId(`line-${field}`);

  /** Samples a shipment card until it shows the shipment delivered. */
  async function followShipment(shipmentId: string): Promise<ProgressSample[]> {
    const card = feedCard('shipment', shipmentId);
    const samples: ProgressSample[] = [];
    await waitUntil(
      async () => {
        const sample = await card
          .evaluate((node) => {
            const card = node as unknown as CardNode;
            return {
              status: card.dataset.status ?? '',
              percent: Number(card.querySelector('.progress')!.getAttribute('aria-valuenow')),
              label: card.querySelector('.progress-label')!.textContent ?? '',
            };
          })
          .catch(() => undefined);
        if (sample) samples.push(sample);
        return sample?.status === 'delivered';
      },
      () => `shipment ${shipmentId} delivered; samples ${JSON.stringify(samples.slice(-3))}`,
      15_000,
    );
    return samples;
  }

  it('serves the page and its assets without shadowing the API', async () => {
    const home = await request(t.url).get('/').expect(200);
    expect(home.headers['content-type']).toMatch(/^text\/html/);
    expect(home.text).toContain('<script type="module" src="/app.js"></script>');
    expect(home.headers['content-security-policy']).toContain("script-src 'self';");
    expect(home.headers['content-security-policy']).not.toContain('unsafe-inline');
    for (const [path, type] of [
      ['/app.js', /javascript/],
      ['/api.js', /javascript/],
      ['/style.css', /^text\/css/],
      ['/vendor/socket.io/socket.io.esm.min.js', /javascript/],
    ] as const) {
      const res = await request(t.url).get(path).expect(200);
      expect(res.headers['content-type']).toMatch(type);
    }
    for (const path of ['/api/no-such-route', '/no-such-page.html', '/vendor/socket.io/socket.io.js']) {
      const res = await request(t.url).get(path).expect(404);
      expectErrorFormat(res.body, 404, 'REQUEST.NOT_FOUND');
    }
    await request(t.url).get('/docs-json').expect(200);
    const docs = await request(t.url).get('/docs').redirects(2);
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger');
  });

  it('signs a trader in and shows the stock of their station', async () => {
    await page.goto(`${t.url}/`);
    await byTestId('login-email').fill(trader.email);
    await byTestId('login-password').fill(TEST_PASSWORD);
    await byTestId('login-submit').click();

    await waitForText(byTestId('user-email'), `${trader.email} (trader)`);
    await waitForAttribute(byTestId('connection-status'), 'data-state', 'connected');
    const stations = await byTestId('station-select').locator('option').allTextContents();
    expect(stations).toEqual(['BELT-CERES · CERES']);
    await byTestId('station-select').selectOption(w.stations.CERES);

    await waitForText(cell('ORE', 'onHand'), '500');
    await waitForText(cell('ORE', 'reserved'), '0');
    await waitForText(cell('ORE', 'available'), '500');
    await waitForText(cell('ICE', 'onHand'), '200');
    expect(await page.locator('[data-testid="inventory-row"]').count()).toBe(2);
    // Proves later steps happen without a reload.
    await page.evaluate(() => Object.assign(globalThis, { stillTheSamePage: true }));
  });

  it('places a trade from the form and follows reservation, dispatch and delivery live', async () => {
    await byTestId('trade-buyer').selectOption(w.stations.VESTA);
    await line('trade', 'commodity').selectOption(w.commodities.ORE);
    await line('trade', 'quantity').fill('120');
    await line('trade', 'price').fill('15');
    await byTestId('trade-submit').click();

    await waitForText(byTestId('trade-result'), /^Trade placed: 1,800 cr/);
    const trades = await admin.get(`/api/trades?stationId=${w.stations.CERES}&limit=1`).expect(200);
    const { transactionId, shipmentId } = trades.body.items[0];

    // The reservation comes in as an inventory.changed event and is highlighted.
    await waitForText(cell('ORE', 'reserved'), '120');
    await waitForText(cell('ORE', 'available'), '380');
    expect(await cell('ORE', 'reserved').getAttribute('class')).toMatch(/flash-up/);
    await waitForText(feedCard('trade', transactionId).locator('.kind'), 'Sale');
    await waitForText(feedCard('trade', transactionId).locator('.feed-detail'), '120 × BELT-ORE · 1,800 cr');

    const samples = await followShipment(shipmentId);
    const moving = samples.filter((s) => s.status === 'in_transit');
    expect(moving.some((s) => s.percent > 0 && s.percent < 100)).toBe(true);
    const percents = moving.map((s) => s.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    for (const s of samples.filter((s) => s.status === 'scheduled')) expect(s.label).toMatch(/^loading/);
    expect(samples[samples.length - 1]).toMatchObject({ status: 'delivered', percent: 100 });
    expect(samples[samples.length - 1].label).toMatch(/^delivered/);

    // Dispatch took the goods out of CERES; the trade completes with its shipment.
    await waitForText(cell('ORE', 'onHand'), '380');
    await waitForText(cell('ORE', 'reserved'), '0');
    await waitForText(feedCard('trade', transactionId).getByTestId('feed-status'), 'completed');
    expect(await page.evaluate(() => (globalThis as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
  });

  it("shows the API's refusals in the form", async () => {
    await line('trade', 'quantity').fill('1000');
    await byTestId('trade-submit').click();
    const error = byTestId('trade-error');
    await waitForText(error.locator('.error-message'), 'Not enough available stock of BELT-ORE at station BELT-CERES');
    expect(await error.locator('.error-details li').allTextContents()).toEqual(['sku: BELT-ORE', 'requested: 1000']);
    await waitForText(error.locator('.error-code'), /^INVENTORY\.INSUFFICIENT_STOCK · request /);

    await line('trade', 'quantity').fill('2000000');
    await byTestId('trade-submit').click();
    await waitForText(error.locator('.error-message'), 'The request is invalid');
    await waitForText(error.locator('.error-details li'), /^items\.0\.quantity: /);
    await waitForText(error.locator('.error-code'), /^VALIDATION\.FAILED/);

    // Nothing was reserved by the refused orders.
    expect((await cell('ORE', 'reserved').textContent())?.trim()).toBe('0');
  });

  it('sends a shipment from the form and shows it in flight', async () => {
    await byTestId('cargo-destination').selectOption(w.stations.PALLAS);
    await line('cargo', 'commodity').selectOption(w.commodities.ICE);
    await line('cargo', 'quantity').fill('10');
    await byTestId('cargo-submit').click();
    await waitForText(byTestId('cargo-result'), /^Shipment \w{6} scheduled/);
    await waitForText(cell('ICE', 'reserved'), '10');

    const shipments = await admin.get(`/api/cargo?stationId=${w.stations.PALLAS}&limit=1`).expect(200);
    const { shipmentId } = shipments.body.items[0];
    const card = feedCard('shipment', shipmentId);
    await waitForText(card.locator('.route'), 'BELT-CERES → BELT-PALLAS');
    await waitUntil(
      async () => Number(await card.locator('.progress').getAttribute('aria-valuenow')) >= 40,
      () => 'the shipment to PALLAS 40 % of the way',
    );
    await waitForText(card.locator('.progress-label'), /^\d+ % · arrives in /);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    await followShipment(shipmentId);
    await waitForText(cell('ICE', 'onHand'), '190');
  });

  it('shows a dropped connection, then resumes with the events it missed', async () => {
    const gate = new WebSocketGate();
    await gate.hold(page, /\/socket\.io\//);
    // Drop the page's connection the way a network failure would: its transport closes under it.
    for (const socket of t.app.get(RealtimeGateway).server.sockets.sockets.values()) socket.conn.close();
    await waitForAttribute(byTestId('connection-status'), 'data-state', 'reconnecting');
    const missed = await stock(w.stations.CERES, w.commodities.ICE, 7);
    expect(missed.body.level.onHand).toBe(197);
    // Still offline: the change cannot have arrived yet.
    expect((await cell('ICE', 'onHand').textContent())?.trim()).toBe('190');

    gate.open();
    await waitForAttribute(byTestId('connection-status'), 'data-state', 'connected');
    await waitForText(cell('ICE', 'onHand'), '197');
    await waitForText(
      byTestId('connection-detail'),
      /^resumed (within a second|after \d+ s) · 1 missed event replayed$/,
    );

    // And it is live again.
    await stock(w.stations.CERES, w.commodities.ICE, 3);
    await waitForText(cell('ICE', 'onHand'), '200');
  });

  it('signs out, and lists every station for an admin', async () => {
    await byTestId('sign-out').click();
    await byTestId('login-form').waitFor();
    await byTestId('login-email').fill(admin.email);
    await byTestId('login-password').fill(TEST_PASSWORD);
    await byTestId('login-submit').click();
    await waitForText(byTestId('user-email'), `${admin.email} (admin)`);
    const stations = await byTestId('station-select').locator('option').allTextContents();
    expect(stations).toEqual(['BELT-CERES · CERES', 'BELT-PALLAS · PALLAS', 'BELT-VESTA · VESTA']);
    await byTestId('station-select').selectOption(w.stations.VESTA);
    await waitForText(cell('ORE', 'onHand'), '120');
    await waitForText(cell('FUEL', 'onHand'), '50');
  });

  it('raised no errors in the page', () => {
    expect(problems).toEqual([]);
  });
});
