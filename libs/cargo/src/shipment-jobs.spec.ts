import { readShipmentJob, ShipmentJob, stepJob } from './shipment-jobs';

describe(readShipmentJob.name, () => {
  const id = '01900000-0000-7000-8000-000000000001';

  it('reads each job of the contract with its payload', () => {
    expect(readShipmentJob('dispatch', { shipmentId: id })).toEqual({
      name: ShipmentJob.Dispatch,
      data: { shipmentId: id },
    });
    expect(readShipmentJob('arrive', { shipmentId: id, extra: 1 })).toEqual({
      name: ShipmentJob.Arrive,
      data: { shipmentId: id },
    });
    expect(readShipmentJob('sweep', undefined)).toEqual({ name: ShipmentJob.Sweep, data: {} });
  });

  it('refuses unknown names and malformed payloads', () => {
    expect(readShipmentJob('teleport', { shipmentId: id })).toBeUndefined();
    expect(readShipmentJob('dispatch', { shipmentId: 'nope' })).toBeUndefined();
    expect(readShipmentJob('arrive', null)).toBeUndefined();
  });

  it('adds steps the way it reads them, once per step and shipment', () => {
    const step = stepJob(ShipmentJob.Dispatch, id, 1500.4);
    expect(readShipmentJob(step.name, step.data)).toEqual({ name: step.name, data: step.data });
    expect(step.opts).toMatchObject({ jobId: `dispatch-${id}`, delay: 1500 });
  });
});
