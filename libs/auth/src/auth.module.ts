import { Environment, RateLimitModule } from '@itn/core';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController, StationMembersController } from './auth.controller';
import { AuthService } from './auth.service';
import { RefreshToken } from './entities/refresh-token.entity';
import { StationMember } from './entities/station-member.entity';
import { User } from './entities/user.entity';
import { GLOBAL_GUARDS, GlobalGuards } from './guards/global-guards';
import { PasswordService } from './password.service';
import { StationAccessPolicy } from './station-access';
import { JWT_ALGORITHM, jwtKey, TokensService } from './tokens.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([User, StationMember, RefreshToken]),
    RateLimitModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        secret: jwtKey(config.get('JWT_SECRET', { infer: true })),
        signOptions: {
          algorithm: JWT_ALGORITHM,
          expiresIn: config.get('JWT_ACCESS_TTL', { infer: true }),
          issuer: config.get('JWT_ISSUER', { infer: true }),
          audience: config.get('JWT_AUDIENCE', { infer: true }),
        },
        verifyOptions: {
          algorithms: [JWT_ALGORITHM],
          issuer: config.get('JWT_ISSUER', { infer: true }),
          audience: config.get('JWT_AUDIENCE', { infer: true }),
        },
      }),
    }),
  ],
  controllers: [AuthController, StationMembersController],
  providers: [
    AuthService,
    PasswordService,
    TokensService,
    StationAccessPolicy,
    ...GLOBAL_GUARDS,
    ...GLOBAL_GUARDS.map((guard) => ({ provide: APP_GUARD, useExisting: guard })),
    GlobalGuards,
  ],
  exports: [AuthService, TokensService, StationAccessPolicy, PasswordService, GlobalGuards],
})
export class AuthModule {}
