import { EVENT_SHAPES, type FieldShape, type PayloadShape } from './event-types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** As JavaScript's toISOString() writes it (and iso_ms() in SQL). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function fieldFaults(shape: FieldShape, value: unknown, path: string): string[] {
  if (typeof shape === 'string') {
    const ok =
      shape === 'integer'
        ? Number.isSafeInteger(value)
        : typeof value === 'string' && (shape === 'uuid' ? UUID : TIMESTAMP).test(value);
    return ok ? [] : [`${path}: ${JSON.stringify(value)} is not a ${shape}`];
  }
  if (Array.isArray(shape)) {
    return shape.includes(value) ? [] : [`${path}: ${JSON.stringify(value)} is not one of ${shape.join(', ')}`];
  }
  if ('nullable' in shape) return value === null ? [] : fieldFaults(shape.nullable, value, path);
  if ('listOf' in shape) {
    if (!Array.isArray(value)) return [`${path}: ${JSON.stringify(value)} is not a list`];
    const item = shape.listOf;
    const isField = typeof item === 'string' || Array.isArray(item) || 'nullable' in item || 'listOf' in item;
    return value.flatMap((v, i) =>
      isField
        ? fieldFaults(item as FieldShape, v, `${path}.${i}`)
        : payloadFaults(item as PayloadShape, v, `${path}.${i}`),
    );
  }
  return [`${path}: unknown shape`];
}

function payloadFaults(shape: PayloadShape, value: unknown, path: string): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [`${path}: ${JSON.stringify(value)} is not an object`];
  }
  const data = value as Record<string, unknown>;
  return [
    ...Object.keys(shape)
      .filter((k) => !(k in data))
      .map((k) => `${path}.${k}: missing`),
    ...Object.keys(data)
      .filter((k) => !(k in shape))
      .map((k) => `${path}.${k}: not in the shape`),
    ...Object.entries(shape).flatMap(([k, field]) => (k in data ? fieldFaults(field, data[k], `${path}.${k}`) : [])),
  ];
}

/** Where an event's data departs from its type's shape in event-types.ts (nothing when it matches exactly). */
export function eventDataFaults(type: string, data: unknown): string[] {
  const shape = (EVENT_SHAPES as Record<string, PayloadShape>)[type];
  if (!shape) return [`${type}: not an event type`];
  return payloadFaults(shape, data, type);
}
