import { ConflictError, DomainError, isUniqueViolation, NotFoundError } from '@itn/core';
import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import type { AuthUser } from './auth-user';
import { MeDto, RegisterDto, StationMemberDto, TokenPairDto, UserDto } from './dto/auth.dto';
import { Role, User } from './entities/user.entity';
import { PasswordService } from './password.service';
import { StationAccessPolicy } from './station-access';
import { TokensService } from './tokens.service';

@Injectable()
export class AuthService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly dataSource: DataSource,
    private readonly passwords: PasswordService,
    private readonly tokens: TokensService,
    private readonly stationAccess: StationAccessPolicy,
  ) {}

  /** Self-registration always makes a trader; admins are made by the seed or `npm run create-admin`. */
  register(dto: RegisterDto): Promise<UserDto> {
    return this.createUser(dto.email, dto.password, 'trader');
  }

  /** Creates a user (emails are kept in lower case); within `tx` when given. */
  async createUser(email: string, password: string, role: Role, tx?: EntityManager): Promise<UserDto> {
    const users = tx?.getRepository(User) ?? this.users;
    const passwordHash = await this.passwords.hash(password);
    try {
      const user = await users.save(users.create({ email: email.trim().toLowerCase(), passwordHash, role }));
      return UserDto.from(user);
    } catch (e) {
      if (isUniqueViolation(e, 'uq_users_email')) {
        throw new ConflictError('AUTH.EMAIL_TAKEN', 'An account with this email already exists');
      }
      throw e;
    }
  }

  /**
   * The account with this email, created with `password` and `role` if there is none; an
   * existing one is left as it is (the demo seed's accounts on a database that has users).
   */
  async ensureUser(email: string, password: string, role: Role, tx: EntityManager): Promise<string> {
    const existing = await tx.getRepository(User).findOneBy({ email: email.trim().toLowerCase() });
    return existing?.id ?? (await this.createUser(email, password, role, tx)).id;
  }

  /** Makes the account with this email an admin, creating it with `password` if there is none. */
  async ensureAdmin(email: string, password: string): Promise<{ user: UserDto; created: boolean }> {
    const existing = await this.users.findOneBy({ email: email.trim().toLowerCase() });
    if (!existing) return { user: await this.createUser(email, password, 'admin'), created: true };
    await this.users.update({ id: existing.id }, { role: 'admin' });
    this.stationAccess.forget(existing.id);
    return { user: UserDto.from({ ...existing, role: 'admin' }), created: false };
  }

  async login(email: string, password: string): Promise<TokenPairDto> {
    const user = await this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email })
      .getOne();
    const valid = await this.passwords.verify(user?.passwordHash, password);
    if (!user || !valid) {
      throw new DomainError('AUTH.INVALID_CREDENTIALS', 'Wrong email or password', HttpStatus.UNAUTHORIZED);
    }
    return this.tokens.issuePair({ id: user.id, role: user.role });
  }

  refresh(refreshToken: string): Promise<TokenPairDto> {
    return this.tokens.rotate(refreshToken);
  }

  logout(user: AuthUser, refreshToken: string): Promise<void> {
    return this.tokens.revokeFamilyOf(refreshToken, user.id);
  }

  async me(caller: AuthUser): Promise<MeDto> {
    const user = await this.users.findOneBy({ id: caller.id });
    if (!user) throw new DomainError('AUTH.UNAUTHORIZED', 'This account no longer exists', HttpStatus.UNAUTHORIZED);
    return {
      id: user.id,
      email: user.email,
      role: user.role,
      stationIds: await this.stationAccess.stationIdsOf(user.id),
    };
  }

  /** Grants membership of the station; within `tx` when given. */
  async addMember(stationId: string, userId: string, within?: EntityManager): Promise<StationMemberDto> {
    const inTransaction = <T>(work: (tx: EntityManager) => Promise<T>) =>
      within ? work(within) : this.dataSource.transaction(work);
    return inTransaction(async (tx) => {
      const [station] = await tx.query<unknown[]>('SELECT 1 FROM stations WHERE id = $1', [stationId]);
      if (!station) throw new NotFoundError('CATALOG.STATION_NOT_FOUND', `Station ${stationId} does not exist`);
      const [user] = await tx.query<{ email: string; role: Role }[]>('SELECT email, role FROM users WHERE id = $1', [
        userId,
      ]);
      if (!user) throw new NotFoundError('AUTH.USER_NOT_FOUND', `User ${userId} does not exist`);
      const [inserted] = await tx.query<{ created_at: Date }[]>(
        `INSERT INTO station_members (station_id, user_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING created_at`,
        [stationId, userId],
      );
      if (!inserted) throw new ConflictError('AUTH.ALREADY_MEMBER', 'The user is already a member of this station');
      this.stationAccess.forget(userId);
      return { stationId, userId, email: user.email, role: user.role, createdAt: inserted.created_at };
    });
  }

  async removeMember(stationId: string, userId: string): Promise<void> {
    const [, affected] = await this.dataSource.query<[unknown[], number]>(
      'DELETE FROM station_members WHERE station_id = $1 AND user_id = $2',
      [stationId, userId],
    );
    this.stationAccess.forget(userId);
    if (affected === 0) throw new NotFoundError('AUTH.NOT_A_MEMBER', 'The user is not a member of this station');
  }

  async listMembers(stationId: string): Promise<StationMemberDto[]> {
    const rows = await this.dataSource.query<
      { station_id: string; user_id: string; email: string; role: Role; created_at: Date }[]
    >(
      `SELECT m.station_id, m.user_id, u.email, u.role, m.created_at
         FROM station_members m JOIN users u ON u.id = m.user_id
        WHERE m.station_id = $1 ORDER BY m.created_at, m.user_id LIMIT 1000`,
      [stationId],
    );
    return rows.map((r) => ({
      stationId: r.station_id,
      userId: r.user_id,
      email: r.email,
      role: r.role,
      createdAt: r.created_at,
    }));
  }
}
