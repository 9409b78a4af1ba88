import { LowerCaseUuid } from '@itn/core';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { Role, ROLES, User } from '../entities/user.entity';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;
export const REFRESH_TOKEN_PATTERN = /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/;

const normaliseEmail = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export class CredentialsDto {
  @ApiProperty({ example: 'trader1@itn.local', maxLength: 254 })
  @Transform(normaliseEmail)
  @IsString()
  @MaxLength(254)
  @IsEmail()
  readonly email: string;

  @ApiProperty({ example: 'trader-dev-password', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  readonly password: string;
}

export class RegisterDto extends CredentialsDto {}

export class LoginDto extends CredentialsDto {}

export class RefreshTokenDto {
  @ApiProperty({ description: 'The refresh token from login or the last refresh' })
  @IsString()
  @MaxLength(100)
  @Matches(REFRESH_TOKEN_PATTERN, { message: 'refreshToken is malformed' })
  readonly refreshToken: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'JWT (HS256) for the Authorization: Bearer header' })
  accessToken: string;

  @ApiProperty({ description: 'Opaque; single use, rotated by POST /api/auth/refresh' })
  refreshToken: string;

  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  tokenType: 'Bearer';

  @ApiProperty({ example: 900, description: 'Seconds until the access token expires' })
  expiresIn: number;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'trader1@itn.local' })
  email: string;

  @ApiProperty({ enum: ROLES, example: 'trader' })
  role: Role;

  @ApiProperty()
  createdAt: Date;

  static from(this: void, u: User): UserDto {
    return { id: u.id, email: u.email, role: u.role, createdAt: u.createdAt };
  }
}

export class MeDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'trader1@itn.local' })
  email: string;

  @ApiProperty({ enum: ROLES, example: 'trader' })
  role: Role;

  @ApiProperty({ type: [String], format: 'uuid', description: 'Stations this user is a member of' })
  stationIds: string[];
}

export class AddMemberDto {
  @ApiProperty({ format: 'uuid' })
  @LowerCaseUuid()
  @IsUUID()
  readonly userId: string;
}

export class StationMemberDto {
  @ApiProperty({ format: 'uuid' })
  stationId: string;

  @ApiProperty({ format: 'uuid' })
  userId: string;

  @ApiProperty({ example: 'trader1@itn.local' })
  email: string;

  @ApiProperty({ enum: ROLES })
  role: Role;

  @ApiProperty()
  createdAt: Date;
}
