import type { JobsOptions } from 'bullmq';

/**
 * The shipment queue's contract: its name, its jobs and their payloads, and the options
 * every job is added with. Queue and job names are frozen once deployed.
 */
export const SHIPMENTS_QUEUE = 'shipments';

export enum ShipmentJob {
  /** Loading is done: the shipment leaves its origin. */
  Dispatch = 'dispatch',
  /** Travel is done: the shipment reaches its destination. */
  Arrive = 'arrive',
  /** Periodic: re-enqueue shipments whose next step is overdue. */
  Sweep = 'sweep',
}

export interface ShipmentJobData {
  shipmentId: string;
}

export type ShipmentJobPayloads = {
  [ShipmentJob.Dispatch]: ShipmentJobData;
  [ShipmentJob.Arrive]: ShipmentJobData;
  [ShipmentJob.Sweep]: Record<string, never>;
};

export const SWEEP_SCHEDULER_ID = 'shipments-sweep';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isShipmentJobData(data: unknown): data is ShipmentJobData {
  return typeof data === 'object' && data !== null && UUID.test(String((data as ShipmentJobData).shipmentId));
}

/** A shipment job as its processor takes it: the name with its payload. */
export type ShipmentJobOf = { [K in ShipmentJob]: { name: K; data: ShipmentJobPayloads[K] } }[ShipmentJob];

/** The job's name and payload, checked against the contract; undefined when either is not the contract's. */
export function readShipmentJob(jobName: string, data: unknown): ShipmentJobOf | undefined {
  const name = jobName as ShipmentJob; // any other name falls through to undefined
  switch (name) {
    case ShipmentJob.Dispatch:
    case ShipmentJob.Arrive:
      return isShipmentJobData(data) ? { name, data: { shipmentId: data.shipmentId } } : undefined;
    case ShipmentJob.Sweep:
      return { name, data: {} };
    default:
      return undefined;
  }
}

/** A step job as it is added to the queue (the relay and the sweep add them). */
export function stepJob(name: ShipmentJob.Dispatch | ShipmentJob.Arrive, shipmentId: string, delayMs: number) {
  const data: ShipmentJobPayloads[typeof name] = { shipmentId };
  return { name, data, opts: shipmentJobOptions(name, shipmentId, delayMs) };
}

/** One job per step and shipment: adding it again while it exists is a no-op. */
export function shipmentJobId(name: ShipmentJob.Dispatch | ShipmentJob.Arrive, shipmentId: string): string {
  return `${name}-${shipmentId}`;
}

export const SHIPMENT_JOB_ATTEMPTS = 8;

/** The options of every shipment step job. */
export function shipmentJobOptions(
  name: ShipmentJob.Dispatch | ShipmentJob.Arrive,
  shipmentId: string,
  delayMs: number,
): JobsOptions {
  return {
    jobId: shipmentJobId(name, shipmentId),
    delay: Math.max(0, Math.round(delayMs)),
    attempts: SHIPMENT_JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 7 * 86_400 },
  };
}
