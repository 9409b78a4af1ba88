import type { ValueTransformer } from 'typeorm';

/** PostgreSQL numeric/bigint arrive as strings; these values stay well inside double precision. */
export const numericColumn: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
