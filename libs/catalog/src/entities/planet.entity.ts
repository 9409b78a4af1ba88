import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'planets' })
export class Planet {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuid_generate_v7()' })
  id: string;

  @Column({ type: 'varchar', length: 100, unique: true })
  name: string;

  @Column({ name: 'position_x', type: 'double precision' })
  positionX: number;

  @Column({ name: 'position_y', type: 'double precision' })
  positionY: number;

  @Column({ name: 'position_z', type: 'double precision' })
  positionZ: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
