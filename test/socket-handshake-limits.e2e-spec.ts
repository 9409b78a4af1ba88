import { MAX_JSON_DEPTH, MetricsRegistry, SOCKET_MAX_MESSAGE_BYTES } from '@itn/core';
import request from 'supertest';
import { AddressClient } from './helpers/address-client';
import { createActor } from './helpers/auth';
import { RealtimeClient } from './helpers/realtime-client';
import { createTestApp, TestApp } from './helpers/test-app';

const MAX_SESSIONS = 5;
const LIMIT = 40;
const HANDSHAKE = '/socket.io/?EIO=4&transport=polling';

/** What reaches Socket.IO before any gateway: engine.io handshakes, polling bodies, raw packets. */
describe('Socket.IO below the gateway: handshakes, sessions and packets (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SOCKET_MAX_PER_ADDRESS: String(MAX_SESSIONS), RATE_LIMIT_MAX: String(LIMIT) });
  });
  afterAll(() => t.close());

  /** A new engine.io session (a polling handshake, no token yet): its id, or the refusal's status. */
  async function handshake(client: AddressClient): Promise<{ status: number; sid?: string }> {
    const res = await client.get(HANDSHAKE);
    const open = /^0(\{.*\})/.exec(res.text);
    return { status: res.status, sid: open ? (JSON.parse(open[1]) as { sid: string }).sid : undefined };
  }

  it('holds at most SOCKET_MAX_PER_ADDRESS sessions of one address, without a token, and serves others', async () => {
    const crowd = new AddressClient(t.url);
    const opened = [];
    for (let i = 0; i < MAX_SESSIONS; i++) opened.push(await handshake(crowd));
    expect(opened.every((h) => h.status === 200 && h.sid)).toBe(true);
    expect((await handshake(crowd)).status).toBe(403);
    expect((await handshake(new AddressClient(t.url))).status).toBe(200);
    expect(await t.app.get(MetricsRegistry).metrics()).toMatch(
      /itn_socket_handshake_refusals_total\{reason="sessions_per_address"\} [1-9]/,
    );
  });

  it('counts every handshake in its address budget: a handshake flood spends what REST requests would', async () => {
    const flooder = new AddressClient(t.url);
    let refusedAt = -1;
    for (let i = 0; i < LIMIT + 5 && refusedAt < 0; i++) {
      const opened = await handshake(flooder);
      // Sessions are let go of at once, so that only the budget can refuse.
      if (opened.sid) await flooder.post(`${HANDSHAKE}&sid=${opened.sid}`, { rawJson: '1' });
      if ((await flooder.get('/api/stations')).status === 429) refusedAt = i;
    }
    // Each round spent two: the handshake and the REST request.
    expect(refusedAt).toBe(LIMIT / 2);
  });

  it('refuses the CONNECT of an address over budget with the contract connect_error', async () => {
    const spender = new AddressClient(t.url);
    for (let i = 0; i < LIMIT; i++) await spender.get('/api/nowhere');
    const { sid } = await handshake(spender);
    expect(sid).toBeDefined();
    await spender.post(`${HANDSHAKE}&sid=${sid}`, { rawJson: '40{"token":"x"}' });
    const answer = await spender.get(`${HANDSHAKE}&sid=${sid}`);
    expect(answer.text).toContain('REQUEST.RATE_LIMITED');
  });

  it('closes a socket that sends a packet nested deeper than a request may be, before parsing it', async () => {
    const trader = await createActor(t, 'trader');
    const client = await RealtimeClient.connect(t.url, trader.accessToken);
    const nested = (depth: number): unknown => (depth === 0 ? 'x' : { stationId: nested(depth - 1) });
    // Shallow enough: the gateway judges it, and the socket stays.
    const ack = await client.socket.timeout(5000).emitWithAck('subscribe', nested(3));
    expect(ack).toMatchObject({ ok: false, code: 'VALIDATION.FAILED' });
    expect(client.socket.connected).toBe(true);
    // Too deep: refused by the parser, and the socket is closed.
    const closed = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
    client.socket.emit('subscribe', nested(MAX_JSON_DEPTH + 5));
    expect(await closed).toBe('transport close');
    expect((await request(t.url).get('/health/live')).status).toBe(200);
  });

  it('refuses a polling body larger than SOCKET_MAX_MESSAGE_BYTES', async () => {
    const sender = new AddressClient(t.url);
    const { sid } = await handshake(sender);
    const res = await sender.post(`${HANDSHAKE}&sid=${sid}`, {
      rawJson: `42["subscribe","${'x'.repeat(SOCKET_MAX_MESSAGE_BYTES)}"]`,
    });
    expect(res.status).toBe(413);
  });

  it('still connects a signed-in client as before', async () => {
    const trader = await createActor(t, 'trader');
    const client = await RealtimeClient.connect(t.url, trader.accessToken);
    expect(client.socket.connected).toBe(true);
    client.close();
  });
});
