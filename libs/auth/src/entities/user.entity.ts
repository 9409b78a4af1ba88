import { Check, Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export const ROLES = ['admin', 'trader'] as const;
export type Role = (typeof ROLES)[number];

@Entity({ name: 'users' })
@Check('ck_users_role', `role IN ('admin', 'trader')`)
@Check('ck_users_email_lower', 'email = lower(email)')
export class User {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuid_generate_v7()' })
  id: string;

  @Column({ type: 'varchar', length: 254, unique: true })
  email: string;

  @Column({ name: 'password_hash', type: 'text', select: false })
  passwordHash: string;

  @Column({ type: 'varchar', length: 16, default: 'trader' })
  role: Role;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
