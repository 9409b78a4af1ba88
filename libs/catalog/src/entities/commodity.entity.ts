import { numericColumn } from '@itn/core';
import { Check, Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'commodities' })
@Check('ck_commodities_unit_volume', 'unit_volume > 0')
@Check('ck_commodities_unit_mass', 'unit_mass >= 0')
export class Commodity {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuid_generate_v7()' })
  id: string;

  @Column({ type: 'varchar', length: 32, unique: true })
  sku: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** Cubic metres per unit. */
  @Column({ name: 'unit_volume', type: 'numeric', precision: 12, scale: 3, transformer: numericColumn })
  unitVolume: number;

  /** Kilograms per unit. */
  @Column({ name: 'unit_mass', type: 'numeric', precision: 12, scale: 3, transformer: numericColumn })
  unitMass: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
