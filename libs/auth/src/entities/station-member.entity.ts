import { CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'station_members' })
export class StationMember {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Index('ix_station_members_station_id')
  @PrimaryColumn({ name: 'station_id', type: 'uuid' })
  stationId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
