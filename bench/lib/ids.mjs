import { dataset } from './config.mjs';

/**
 * Deterministic ids: entity n of a kind is `0000000<kind>-0000-7000-8000-<n, 12 digits>`.
 * The pgbench scripts compute the same ids in SQL (bench_id in the bench database), which is
 * how a pgbench client turns its random integers into the uuids the service receives.
 */
export const KIND = { planet: 1, station: 2, commodity: 3, user: 4 };

/** @param {number} kind @param {number} n */
export function benchId(kind, n) {
  return `${String(kind).padStart(8, '0')}-0000-7000-8000-${String(n).padStart(12, '0')}`;
}

export const stationId = (/** @type {number} */ n) => benchId(KIND.station, n);
export const commodityId = (/** @type {number} */ n) => benchId(KIND.commodity, n);
export const userId = (/** @type {number} */ n) => benchId(KIND.user, n);
export const planetId = (/** @type {number} */ n) => benchId(KIND.planet, n);

/** Station number (1-based) of trader `t`'s k-th membership. */
export function memberStation(t, k) {
  return 1 + ((t + k * dataset.memberStride) % dataset.stations);
}

/** Unit volume of commodity n in litres (thousandths of m³), so volumes stay exact integers. */
export function unitVolumeMilli(n) {
  return 500 * (1 + (n % 5));
}

export const traderEmail = (/** @type {number} */ t) => `trader${t}@bench.itn`;

export const randInt = (/** @type {number} */ lo, /** @type {number} */ hi) =>
  lo + Math.floor(Math.random() * (hi - lo + 1));

/**
 * A random trade for trader `t`, drawn like the pgbench scripts draw theirs: the seller is one
 * of the trader's stations, the buyer any other station, 1-3 distinct commodities, small quantities.
 * @param {number} t
 */
export function randomTrade(t) {
  const s = memberStation(t, randInt(0, dataset.membershipsPerTrader - 1));
  const b = 1 + ((s - 1 + randInt(1, dataset.stations - 1)) % dataset.stations);
  const lines = randInt(1, 3);
  const base = randInt(0, dataset.commodities - 1);
  const o1 = randInt(1, 24);
  const o2 = randInt(1, 24);
  const cs = [base, base + o1, base + o1 + o2].slice(0, lines).map((c) => 1 + (c % dataset.commodities));
  return {
    sellerStationId: stationId(s),
    buyerStationId: stationId(b),
    items: cs.map((c) => ({ commodityId: commodityId(c), quantity: randInt(1, 10), unitPrice: randInt(1, 1000) })),
  };
}
