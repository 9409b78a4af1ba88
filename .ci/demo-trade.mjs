// The fresh-machine check: the service at BASE_URL (default http://127.0.0.1:3000) becomes
// ready, a demo trader signs in, and a trade between two of their stations completes.
// Exits 0 when it did, 1 with the reason otherwise.
const base = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
const deadline = (seconds) => Date.now() + seconds * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(method, path, { token, body } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function main() {
  const started = Date.now();
  for (const until = deadline(Number(process.env.READY_TIMEOUT_S ?? 180)); ;) {
    try {
      const ready = await call('GET', '/health/ready');
      if (ready.status === 200) {
        console.log(`ready after ${Date.now() - started} ms: ${JSON.stringify(ready.body.info.services)}`);
        break;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until) throw new Error('the service did not become ready');
    await sleep(200);
  }

  const login = await call('POST', '/api/auth/login', {
    body: { email: 'trader1@itn.local', password: 'trader-dev-password' },
  });
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.body)}`);
  const token = login.body.accessToken;
  const me = await call('GET', '/api/auth/me', { token });
  const [seller, buyer] = me.body.stationIds;
  const stock = await call('GET', `/api/inventory/${seller}`, { token });
  const item = stock.body.items.find((i) => i.available > 0);
  if (!item) throw new Error(`station ${seller} has nothing to sell`);

  const trade = await call('POST', '/api/trades', {
    token,
    body: {
      sellerStationId: seller,
      buyerStationId: buyer,
      items: [{ commodityId: item.commodityId, quantity: 1, unitPrice: 10 }],
    },
  });
  if (trade.status !== 201) throw new Error(`trade answered ${trade.status}: ${JSON.stringify(trade.body)}`);
  console.log(`trader1 signed in; trade ${trade.body.transactionId} of 1 ${item.sku}, ${trade.body.status}`);

  for (const until = deadline(Number(process.env.TRADE_TIMEOUT_S ?? 180)); ;) {
    const current = await call('GET', `/api/trades/${trade.body.transactionId}`, { token });
    if (current.body.status === 'completed') break;
    if (['failed', 'cancelled'].includes(current.body.status) || Date.now() > until) {
      throw new Error(`the trade ended ${current.body.status}`);
    }
    await sleep(500);
  }
  console.log(`the trade completed ${Date.now() - started} ms after start`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`demo trade: ${e.message}`);
    process.exit(1);
  },
);
