/**
 * The station dashboard: a plain client of the public REST API and the Socket.IO contract.
 * It loads a station's stock, trades and shipments once, then keeps them current from the
 * events of the station's room, resuming from the last event id after a reconnect.
 */
import { io } from '/vendor/socket.io/socket.io.esm.min.js';
import * as api from '/api.js';

const EVENT_TYPES = ['inventory.changed', 'trade.created', 'trade.status_changed', 'shipment.status_changed'];
const LEVEL_FIELDS = ['onHand', 'reserved', 'available', 'incoming'];
const FEED_LIMIT = 40;
const FLASH_MS = 900;
const PROGRESS_TICK_MS = 250;
const ACK_TIMEOUT_MS = 10_000;
const FIRST_CONNECT_WAIT_MS = 3_000;
const MAX_AUTH_RETRIES = 3;
const UUID_PATTERN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** How far along a record is; a late event never moves a card backwards. */
const STAGES = {
  trade: { pending: 0, in_transit: 1, completed: 2, cancelled: 2, failed: 2 },
  shipment: { scheduled: 0, in_transit: 1, delivered: 2, cancelled: 2, failed: 2 },
};

const numbers = new Intl.NumberFormat('en-US');
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

const state = {
  stations: new Map(),
  commodities: new Map(),
  /** Stations the user may act for: their memberships, or every station for an admin. */
  actingStationIds: [],
  stationId: null,
  loadSeq: 0,
  /** The id of the last event of the selected station, to resume from after a reconnect. */
  lastEventId: null,
  /** Events that arrive while the initial snapshot is loading, applied after it. */
  buffer: null,
  socket: null,
  socketToken: null,
  subscribedStationId: null,
  disconnectedAt: null,
  authFailures: 0,
  rows: new Map(),
  feed: new Map(),
};

// ---------------------------------------------------------------- small DOM helpers

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

function cloneTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function replaceOptions(select, options) {
  const previous = select.value;
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
  if (options.some(([value]) => value === previous)) select.value = previous;
}

// ---------------------------------------------------------------- formatting

const formatNumber = (n) => numbers.format(n);
const formatTime = (iso) => (iso ? clock.format(new Date(iso)) : '');
const shortId = (id) => id.slice(-6);

function stationCode(id) {
  return state.stations.get(id)?.code ?? shortId(id);
}

function stationLabel(id) {
  const station = state.stations.get(id);
  return station ? `${station.code} · ${station.name}` : id;
}

function skuOf(commodityId) {
  return state.commodities.get(commodityId)?.sku ?? shortId(commodityId);
}

/** Replaces the ids in an API message with the codes an operator knows. */
function readable(text) {
  return String(text).replace(UUID_PATTERN, (id) =>
    state.stations.has(id) ? stationCode(id) : state.commodities.has(id) ? skuOf(id) : id,
  );
}

function secondsFromNow(iso, now) {
  const seconds = Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000));
  return seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

// ---------------------------------------------------------------- session

async function start() {
  wireControls();
  api.onSessionEnded((reason) => showLogin(reason));
  if (!api.hasSession()) return showLogin();
  try {
    await enterDashboard();
  } catch (error) {
    showLogin(error.message);
  }
}

function wireControls() {
  byTestId('login-form').addEventListener('submit', (event) => void onLoginSubmit(event));
  byTestId('sign-out').addEventListener('click', () => void onSignOut());
  byTestId('station-select').addEventListener('change', (event) => void selectStation(event.target.value));
  setUpOrderForm(byTestId('trade-form'), placeTrade);
  setUpOrderForm(byTestId('cargo-form'), sendShipment);
  setInterval(tickProgress, PROGRESS_TICK_MS);
  window.addEventListener('offline', () => setConnection('offline', 'the browser is offline'));
  window.addEventListener('online', () => {
    if (state.socket) setConnection(state.socket.connected ? 'connected' : 'reconnecting');
  });
}

async function onLoginSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const data = new FormData(form);
  clearFormFeedback(form);
  setBusy(form, true);
  try {
    await api.signIn(String(data.get('email')).trim(), String(data.get('password')));
    form.reset();
    await enterDashboard();
  } catch (error) {
    showFormError(form, error);
  } finally {
    setBusy(form, false);
  }
}

async function onSignOut() {
  disconnectRealtime();
  await api.signOut();
  showLogin();
}

function showLogin(message) {
  disconnectRealtime();
  state.loadSeq++;
  state.stationId = null;
  resetStationView();
  byTestId('dashboard').hidden = true;
  byTestId('session').hidden = true;
  byTestId('login').hidden = false;
  const box = byTestId('login-error');
  box.textContent = message ?? '';
  box.hidden = !message;
  byTestId('login-email').focus();
}

async function enterDashboard() {
  const me = await api.get('/api/auth/me');
  await loadCatalog(me);
  fillSelects();
  await connectRealtime();
  const first = state.actingStationIds[0];
  byTestId('no-stations').hidden = Boolean(first);
  if (first) await selectStation(first);
  byTestId('user-email').textContent = `${me.email} (${me.role})`;
  byTestId('login').hidden = true;
  byTestId('session').hidden = false;
  byTestId('dashboard').hidden = false;
}

// ---------------------------------------------------------------- catalog

async function loadCatalog(me) {
  // Admins have no memberships: they act for every station of the list.
  const [stations, commodities, own] = await Promise.all([
    api.getAll('/api/stations?limit=100'),
    api.getAll('/api/commodities?limit=100'),
    Promise.all(me.stationIds.map((id) => api.get(`/api/stations/${id}`))),
  ]);
  state.stations = new Map([...stations, ...own].map((s) => [s.id, s]));
  state.commodities = new Map(commodities.map((c) => [c.id, c]));
  state.actingStationIds = sortStations(me.role === 'admin' ? [...state.stations.keys()] : me.stationIds);
}

function sortStations(ids) {
  return [...ids].sort((a, b) => stationCode(a).localeCompare(stationCode(b)));
}

function sortedCommodities() {
  return [...state.commodities.values()].sort((a, b) => a.sku.localeCompare(b.sku));
}

function fillSelects() {
  const acting = state.actingStationIds.map((id) => [id, stationLabel(id)]);
  const all = sortStations([...state.stations.keys()]).map((id) => [id, stationLabel(id)]);
  replaceOptions(byTestId('station-select'), acting);
  replaceOptions(byTestId('trade-seller'), acting);
  replaceOptions(byTestId('trade-buyer'), all);
  replaceOptions(byTestId('cargo-origin'), acting);
  replaceOptions(byTestId('cargo-destination'), all);
  for (const select of document.querySelectorAll('[data-testid="line-commodity"]')) fillCommodityOptions(select);
}

function fillCommodityOptions(select) {
  replaceOptions(
    select,
    sortedCommodities().map((c) => [c.id, `${c.sku} · ${c.name}`]),
  );
}

async function commodity(commodityId) {
  if (!state.commodities.has(commodityId)) {
    state.commodities.set(commodityId, await api.get(`/api/commodities/${commodityId}`));
  }
  return state.commodities.get(commodityId);
}

// ---------------------------------------------------------------- station selection

async function selectStation(stationId) {
  byTestId('station-select').value = stationId;
  preferStation(byTestId('trade-seller'), byTestId('trade-buyer'), stationId);
  preferStation(byTestId('cargo-origin'), byTestId('cargo-destination'), stationId);
  await loadStation(stationId);
}

/** Makes the selected station the sender of the forms, and another one the receiver. */
function preferStation(from, to, stationId) {
  from.value = stationId;
  if (to.value === stationId || !to.value) {
    to.value = [...to.options].find((option) => option.value !== stationId)?.value ?? '';
  }
}

/**
 * Subscribes first and buffers what arrives, then loads the snapshot and applies the buffer
 * on top of it, so no change falls between the snapshot and the live events.
 */
async function loadStation(stationId) {
  const seq = ++state.loadSeq;
  state.stationId = null;
  state.lastEventId = null;
  state.buffer = [];
  resetStationView();
  showStationMeta(stationId);
  showStationError(null);
  try {
    await leaveOtherStation(stationId);
    if (seq !== state.loadSeq) return;
    state.stationId = stationId;
    if (state.socket?.connected) await subscribe(stationId);
    const [inventory, trades, shipments] = await Promise.all([
      api.get(`/api/inventory/${stationId}`),
      api.get(`/api/trades?stationId=${stationId}&limit=20`),
      api.get(`/api/cargo?stationId=${stationId}&limit=20`),
    ]);
    if (seq !== state.loadSeq) return;
    for (const level of inventory.items) upsertLevel(level, false);
    for (const trade of trades.items) upsertTrade(trade);
    for (const shipment of shipments.items) upsertShipment(shipment);
  } catch (error) {
    if (seq === state.loadSeq) showStationError(`Could not load the station: ${readable(error.message)}`);
  } finally {
    if (seq === state.loadSeq) {
      const buffered = state.buffer ?? [];
      state.buffer = null;
      for (const event of buffered) applyEvent(event);
      updateEmptyStates();
    }
  }
}

async function leaveOtherStation(stationId) {
  const previous = state.subscribedStationId;
  if (!previous || previous === stationId || !state.socket?.connected) return;
  state.subscribedStationId = null;
  await state.socket
    .timeout(ACK_TIMEOUT_MS)
    .emitWithAck('unsubscribe', { stationId: previous })
    .catch(() => undefined);
}

function showStationMeta(stationId) {
  const station = state.stations.get(stationId);
  byTestId('station-meta').textContent = station
    ? `${station.name} · storage ${formatNumber(station.storageCapacity)} m³`
    : '';
}

function showStationError(message) {
  const box = byTestId('station-error');
  box.textContent = message ?? '';
  box.hidden = !message;
}

function resetStationView() {
  state.rows.clear();
  state.feed.clear();
  document.querySelector('.inventory tbody').replaceChildren();
  byTestId('feed').replaceChildren();
  byTestId('inventory-empty').hidden = true;
  byTestId('feed-empty').hidden = true;
}

function updateEmptyStates() {
  byTestId('inventory-empty').hidden = state.rows.size > 0;
  byTestId('feed-empty').hidden = state.feed.size > 0;
}

// ---------------------------------------------------------------- inventory

function upsertLevel(level, highlight) {
  const row = state.rows.get(level.commodityId) ?? addInventoryRow(level, highlight);
  for (const field of LEVEL_FIELDS) {
    const cell = row.querySelector(`[data-field="${field}"]`);
    const previous = cell.dataset.value === undefined ? null : Number(cell.dataset.value);
    if (previous === level[field]) continue;
    cell.dataset.value = String(level[field]);
    cell.textContent = formatNumber(level[field]);
    if (highlight && previous !== null) flash(cell, level[field] > previous ? 'flash-up' : 'flash-down');
  }
}

function addInventoryRow(level, highlight) {
  const row = cloneTemplate('inventory-row-template');
  row.dataset.commodityId = level.commodityId;
  state.rows.set(level.commodityId, row);
  if (level.sku) labelRow(row, level);
  else
    void commodity(level.commodityId).then(
      (c) => labelRow(row, c),
      () => labelRow(row, { sku: '?', name: '' }),
    );
  placeRow(row);
  if (highlight) flash(row, 'flash-new');
  return row;
}

function labelRow(row, { sku, name }) {
  row.dataset.sku = sku;
  row.querySelector('.sku').textContent = sku;
  row.querySelector('.name').textContent = name;
  placeRow(row);
}

/** Keeps the table sorted by SKU. */
function placeRow(row) {
  if (!state.rows.has(row.dataset.commodityId)) return;
  const body = document.querySelector('.inventory tbody');
  const sku = row.dataset.sku ?? '';
  const next = [...body.children].find((other) => other !== row && (other.dataset.sku ?? '') > sku);
  body.insertBefore(row, next ?? null);
}

const flashTimers = new WeakMap();

/** Highlights a changed element; the CSS transition fades it out once the class is removed. */
function flash(node, className) {
  clearTimeout(flashTimers.get(node));
  node.classList.remove('flash-up', 'flash-down', 'flash-new');
  void node.offsetWidth; // restarts the highlight when changes follow each other quickly
  node.classList.add(className);
  flashTimers.set(
    node,
    setTimeout(() => node.classList.remove(className), FLASH_MS),
  );
}

// ---------------------------------------------------------------- trades and shipments

function upsertTrade(trade) {
  const entry = upsertFeedEntry('trade', trade.transactionId, {
    status: trade.status,
    sellerStationId: trade.sellerStationId,
    buyerStationId: trade.buyerStationId,
    shipmentId: trade.shipmentId,
    items: trade.items,
    totalPrice: trade.totalPrice,
    createdAt: trade.createdAt ?? trade.at,
  });
  if (entry.record.totalPrice === undefined) void completeEntry(entry, `/api/trades/${trade.transactionId}`);
}

/** Takes both a shipment of the REST API and the data of a shipment.status_changed event. */
function upsertShipment(shipment) {
  const entry = upsertFeedEntry('shipment', shipment.shipmentId, {
    status: shipment.status,
    originStationId: shipment.originStationId,
    destinationStationId: shipment.destinationStationId,
    tradeId: shipment.tradeId,
    items: shipment.items,
    volume: shipment.volume,
    dispatchAt: shipment.dispatchAt,
    departedAt: shipment.departedAt,
    eta: shipment.eta,
    deliveredAt: shipment.deliveredAt,
    createdAt: shipment.createdAt ?? shipment.at,
  });
  if (entry.record.items === undefined) void completeEntry(entry, `/api/cargo/${shipment.shipmentId}`);
}

function upsertFeedEntry(kind, id, patch) {
  const key = `${kind}:${id}`;
  let entry = state.feed.get(key);
  if (!entry) {
    entry = { kind, id, record: {}, node: cloneTemplate('feed-item-template'), fetching: false };
    entry.node.dataset.kind = kind;
    entry.node.dataset.id = id;
    state.feed.set(key, entry);
  }
  entry.record = mergeRecord(kind, entry.record, patch);
  renderFeedEntry(entry);
  if (!entry.node.isConnected) placeFeedEntry(entry);
  return entry;
}

function mergeRecord(kind, current, patch) {
  const known = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  const stages = STAGES[kind];
  const stale = current.status !== undefined && stages[known.status] < stages[current.status];
  const merged = stale ? { ...known, ...current } : { ...current, ...known };
  merged.createdAt = current.createdAt ?? known.createdAt;
  return merged;
}

/** Events carry no lines or totals for status changes; fetch them once for a new card. */
async function completeEntry(entry, path) {
  if (entry.fetching) return;
  entry.fetching = true;
  const seq = state.loadSeq;
  try {
    const full = await api.get(path);
    if (seq !== state.loadSeq || !state.feed.has(`${entry.kind}:${entry.id}`)) return;
    entry.record = { ...entry.record, items: full.items, totalPrice: full.totalPrice, volume: full.volume };
    renderFeedEntry(entry);
  } catch {
    // The card stays without details; its status keeps updating.
  }
}

/** Newest first, by creation time. */
function placeFeedEntry(entry) {
  const list = byTestId('feed');
  const createdAt = entry.record.createdAt ?? '';
  entry.node.dataset.createdAt = createdAt;
  const next = [...list.children].find((other) => (other.dataset.createdAt ?? '') < createdAt);
  list.insertBefore(entry.node, next ?? null);
  while (list.children.length > FEED_LIMIT) {
    const last = list.lastElementChild;
    state.feed.delete(`${last.dataset.kind}:${last.dataset.id}`);
    last.remove();
  }
}

function renderFeedEntry(entry) {
  const { kind, record, node } = entry;
  const [from, to] =
    kind === 'trade'
      ? [record.sellerStationId, record.buyerStationId]
      : [record.originStationId, record.destinationStationId];
  node.dataset.status = record.status;
  node.querySelector('.kind').textContent = kind === 'trade' ? tradeKind(record) : 'Shipment';
  node.querySelector('.route').textContent = `${stationCode(from)} → ${stationCode(to)}`;
  node.querySelector('.status').textContent = record.status.replace('_', ' ');
  node.querySelector('.feed-detail').textContent = describeLines(kind, record);
  const time = node.querySelector('time');
  time.dateTime = record.createdAt ?? '';
  time.textContent = formatTime(record.createdAt);
  if (kind === 'shipment') {
    node.querySelector('.progress').hidden = false;
    renderProgress(entry, Date.now());
  }
}

function tradeKind(trade) {
  if (trade.sellerStationId === state.stationId) return 'Sale';
  if (trade.buyerStationId === state.stationId) return 'Purchase';
  return 'Trade';
}

function describeLines(kind, record) {
  if (!record.items) return '…';
  const lines = record.items.map((item) => `${formatNumber(item.quantity)} × ${skuOf(item.commodityId)}`).join(', ');
  if (kind === 'trade') return `${lines} · ${formatNumber(record.totalPrice)} cr`;
  return record.volume === undefined ? lines : `${lines} · ${formatNumber(record.volume)} m³`;
}

function shipmentProgress(shipment, now) {
  switch (shipment.status) {
    case 'scheduled':
      return {
        fraction: 0,
        phase: 'loading',
        label: `loading · departs in ${secondsFromNow(shipment.dispatchAt, now)}`,
      };
    case 'in_transit': {
      const start = Date.parse(shipment.departedAt ?? shipment.dispatchAt);
      const end = Date.parse(shipment.eta);
      const fraction = end > start ? Math.min(1, Math.max(0, (now - start) / (end - start))) : 1;
      const label = now < end ? `arrives in ${secondsFromNow(shipment.eta, now)}` : 'arriving';
      return { fraction, phase: 'moving', label };
    }
    case 'delivered':
      return { fraction: 1, phase: 'done', label: `delivered ${formatTime(shipment.deliveredAt)}` };
    case 'cancelled':
      return { fraction: 0, phase: 'stopped', label: 'cancelled before departure' };
    default:
      return { fraction: 0, phase: 'stopped', label: 'failed · goods returned to the origin' };
  }
}

function renderProgress(entry, now) {
  const { fraction, phase, label } = shipmentProgress(entry.record, now);
  const bar = entry.node.querySelector('.progress');
  const percent = Math.round(fraction * 100);
  bar.dataset.phase = phase;
  bar.setAttribute('aria-valuenow', String(percent));
  bar.setAttribute('aria-valuetext', label);
  bar.firstElementChild.style.width = `${fraction * 100}%`;
  entry.node.querySelector('.progress-label').textContent = phase === 'moving' ? `${percent} % · ${label}` : label;
}

function tickProgress() {
  const now = Date.now();
  for (const entry of state.feed.values()) {
    if (entry.kind === 'shipment' && STAGES.shipment[entry.record.status] < 2) renderProgress(entry, now);
  }
}

// ---------------------------------------------------------------- real time

function connectRealtime() {
  disconnectRealtime();
  const socket = io({
    path: '/socket.io',
    // Long polling would need sticky sessions across API instances; WebSocket does not.
    transports: ['websocket'],
    auth: (send) => {
      api.accessToken().then(
        (token) => {
          state.socketToken = token;
          send({ token });
        },
        () => send({}),
      );
    },
    reconnectionDelay: 500,
    reconnectionDelayMax: 5_000,
  });
  state.socket = socket;
  setConnection('connecting');
  socket.on('connect', () => void onConnect());
  socket.on('disconnect', onDisconnect);
  socket.on('connect_error', (error) => void onConnectError(error));
  socket.on('session.expired', () => setConnection('reconnecting', 'renewing the session'));
  socket.io.on('reconnect_attempt', (attempt) => setConnection('reconnecting', `attempt ${attempt}`));
  for (const type of EVENT_TYPES) socket.on(type, onRealtimeEvent);
  return firstConnection(socket);
}

/** Waits briefly for the first connection, so the first station loads subscribed. */
function firstConnection(socket) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('connect', done);
      socket.off('connect_error', done);
      resolve();
    };
    const timer = setTimeout(done, FIRST_CONNECT_WAIT_MS);
    socket.on('connect', done);
    socket.on('connect_error', done);
  });
}

function disconnectRealtime() {
  const socket = state.socket;
  state.socket = null;
  state.subscribedStationId = null;
  state.disconnectedAt = null;
  if (socket) {
    socket.removeAllListeners();
    socket.io.off('reconnect_attempt');
    socket.disconnect();
  }
  setConnection('offline');
}

async function subscribe(stationId, after) {
  const ack = await state.socket
    .timeout(ACK_TIMEOUT_MS)
    .emitWithAck('subscribe', after ? { stationId, after } : { stationId });
  if (!ack.ok) throw new Error(ack.message ?? ack.code);
  state.subscribedStationId = stationId;
  return ack;
}

async function onConnect() {
  state.authFailures = 0;
  const outage = state.disconnectedAt === null ? null : Date.now() - state.disconnectedAt;
  state.disconnectedAt = null;
  setConnection('connected');
  const stationId = state.stationId;
  if (!stationId) return;
  // Without a last event (or with a load still running) there is nothing to resume from: load again.
  if (state.lastEventId === null || state.buffer) return loadStation(stationId);
  try {
    const ack = await subscribe(stationId, state.lastEventId);
    const replayed = ack.replayed ?? 0;
    const after = outage === null ? '' : outage < 1000 ? ' within a second' : ` after ${Math.round(outage / 1000)} s`;
    setConnection('connected', `resumed${after} · ${replayed} missed event${replayed === 1 ? '' : 's'} replayed`);
  } catch (error) {
    setConnection('connected', `not following the station: ${error.message}`);
  }
}

function onDisconnect(reason) {
  state.subscribedStationId = null;
  if (reason === 'io client disconnect') return setConnection('offline');
  state.disconnectedAt ??= Date.now();
  setConnection('reconnecting');
  // The server closed the socket (its access token expired); the client does not retry that by itself.
  if (reason === 'io server disconnect') state.socket?.connect();
}

async function onConnectError(error) {
  state.disconnectedAt ??= Date.now();
  // Refused by the server, which the client does not retry by itself: again once allowed.
  if (error.data?.code === 'REQUEST.RATE_LIMITED') {
    const seconds = error.data.retryAfterSeconds ?? 1;
    setConnection('reconnecting', `too many requests; retrying in ${seconds} s`);
    const socket = state.socket;
    setTimeout(() => {
      if (state.socket === socket) socket?.connect();
    }, seconds * 1000);
    return;
  }
  if (error.data?.code !== 'AUTH.UNAUTHORIZED') {
    setConnection('reconnecting', 'the server cannot be reached');
    return;
  }
  // A refused token is not retried by the client: renew it and connect again.
  if (++state.authFailures > MAX_AUTH_RETRIES) {
    setConnection('offline', 'the server refused the session');
    return;
  }
  try {
    await api.renewAccessToken(state.socketToken);
    state.socket?.connect();
  } catch {
    setConnection('offline', 'the session could not be renewed');
  }
}

function setConnection(status, detail = '') {
  const indicator = byTestId('connection-status');
  indicator.dataset.state = status;
  indicator.querySelector('.connection-label').textContent = status;
  byTestId('connection-detail').textContent = detail;
}

function onRealtimeEvent(event) {
  if (!state.stationId || !event.stationIds.includes(state.stationId)) return;
  state.lastEventId = event.id;
  if (state.buffer) state.buffer.push(event);
  else applyEvent(event);
}

function applyEvent({ type, data }) {
  switch (type) {
    case 'inventory.changed':
      if (data.stationId === state.stationId) upsertLevel(data, true);
      break;
    case 'trade.created':
    case 'trade.status_changed':
      upsertTrade(data);
      break;
    case 'shipment.status_changed':
      upsertShipment(data);
      break;
    default:
      return;
  }
  updateEmptyStates();
}

// ---------------------------------------------------------------- forms

function setUpOrderForm(form, send) {
  form.querySelector('.add-line').addEventListener('click', () => addLine(form));
  form.addEventListener('click', (event) => {
    const remove = event.target.closest('.remove-line');
    if (remove) removeLine(form, remove.closest('.line'));
  });
  // A changed order is a new request and gets a new idempotency key.
  form.addEventListener('input', () => delete form.dataset.idempotencyKey);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submitOrder(form, send);
  });
  addLine(form);
}

function addLine(form) {
  const line = cloneTemplate('line-template');
  if (form.dataset.kind === 'cargo') line.querySelector('.price').remove();
  fillCommodityOptions(line.querySelector('select'));
  form.querySelector('.lines').append(line);
  updateRemoveButtons(form);
}

function removeLine(form, line) {
  line.remove();
  delete form.dataset.idempotencyKey;
  updateRemoveButtons(form);
}

function updateRemoveButtons(form) {
  const buttons = form.querySelectorAll('.remove-line');
  for (const button of buttons) button.disabled = buttons.length === 1;
}

function readInteger(input) {
  return input.value === '' ? null : Number(input.value);
}

function readLines(form) {
  return [...form.querySelectorAll('.line')].map((line) => {
    const item = {
      commodityId: line.querySelector('[name="commodityId"]').value,
      quantity: readInteger(line.querySelector('[name="quantity"]')),
    };
    const price = line.querySelector('[name="unitPrice"]');
    if (price) item.unitPrice = readInteger(price);
    return item;
  });
}

function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID exists only in secure contexts (HTTPS or localhost).
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function submitOrder(form, send) {
  clearFormFeedback(form);
  setBusy(form, true);
  // Kept while the outcome is unknown, so submitting the same order again cannot place it twice.
  form.dataset.idempotencyKey ??= newIdempotencyKey();
  try {
    const summary = await send(form, { 'Idempotency-Key': form.dataset.idempotencyKey });
    delete form.dataset.idempotencyKey;
    form.querySelector('.form-result').textContent = summary;
    for (const input of form.querySelectorAll('[name="quantity"]')) input.value = '';
  } catch (error) {
    // A definite answer (even a refusal) is replayed for the same key: the next attempt needs a new one.
    if (error instanceof api.ApiError && error.status > 0 && error.status < 500) delete form.dataset.idempotencyKey;
    showFormError(form, error);
  } finally {
    setBusy(form, false);
  }
}

async function placeTrade(form, headers) {
  const body = {
    sellerStationId: form.elements.seller.value,
    buyerStationId: form.elements.buyer.value,
    items: readLines(form),
  };
  const trade = await api.post('/api/trades', body, headers);
  return `Trade placed: ${formatNumber(trade.totalPrice)} cr, shipment ${shortId(trade.shipmentId)} is loading.`;
}

async function sendShipment(form, headers) {
  const body = {
    originStationId: form.elements.origin.value,
    destinationStationId: form.elements.destination.value,
    items: readLines(form),
  };
  const shipment = await api.post('/api/cargo', body, headers);
  return `Shipment ${shortId(shipment.shipmentId)} scheduled, arriving around ${formatTime(shipment.eta)}.`;
}

function setBusy(form, busy) {
  form.setAttribute('aria-busy', String(busy));
  for (const button of form.querySelectorAll('button[type="submit"]')) button.disabled = busy;
}

function clearFormFeedback(form) {
  const box = form.querySelector('.form-error');
  box.hidden = true;
  box.replaceChildren();
  const result = form.querySelector('.form-result');
  if (result) result.textContent = '';
}

function showFormError(form, error) {
  const box = form.querySelector('.form-error');
  box.replaceChildren(element('p', 'error-message', readable(error.message)));
  const details = detailLines(error.details);
  if (details.length > 0) {
    const list = element('ul', 'error-details');
    list.append(...details.map((line) => element('li', '', line)));
    box.append(list);
  }
  if (error.code) {
    const reference = error.requestId ? `${error.code} · request ${error.requestId}` : error.code;
    box.append(element('p', 'error-code', reference));
  }
  box.hidden = false;
}

/**
 * Validation errors list `{field, errors}`; other errors may carry an object of facts, whose
 * ids the message already names.
 */
function detailLines(details) {
  if (Array.isArray(details)) {
    return details.map((d) =>
      d && typeof d === 'object' && 'field' in d ? `${d.field}: ${[].concat(d.errors ?? []).join('; ')}` : readable(d),
    );
  }
  if (details && typeof details === 'object') {
    return Object.entries(details)
      .filter(([key, value]) => !key.endsWith('Id') && (value === null || typeof value !== 'object'))
      .map(([key, value]) => `${key}: ${readable(value)}`);
  }
  return [];
}

void start();
