import { numericColumn } from '@itn/core';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Planet } from './planet.entity';

@Entity({ name: 'stations' })
@Check('ck_stations_storage_capacity', 'storage_capacity > 0')
export class Station {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuid_generate_v7()' })
  id: string;

  @Column({ type: 'varchar', length: 16, unique: true })
  code: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Index('ix_stations_planet_id')
  @Column({ name: 'planet_id', type: 'uuid' })
  planetId: string;

  @ManyToOne(() => Planet, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'planet_id', foreignKeyConstraintName: 'stations_planet_id_fkey' })
  planet?: Planet;

  @Column({ name: 'position_x', type: 'double precision' })
  positionX: number;

  @Column({ name: 'position_y', type: 'double precision' })
  positionY: number;

  @Column({ name: 'position_z', type: 'double precision' })
  positionZ: number;

  /** Cubic metres of cargo the station can hold (on hand plus incoming). */
  @Column({ name: 'storage_capacity', type: 'bigint', transformer: numericColumn })
  storageCapacity: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
