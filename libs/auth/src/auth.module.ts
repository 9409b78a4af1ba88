import { AppThrottlerGuard, Environment, RateLimitModule } from '@itn/core';
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
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { PasswordService } from './password.service';
import { StationAccessGuard, StationAccessPolicy } from './station-access';
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
    // Order matters: who is calling, then what they may do, then how often.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    { provide: APP_GUARD, useClass: StationAccessGuard },
    { provide: APP_GUARD, useClass: AppThrottlerGuard },
  ],
  exports: [AuthService, TokensService, StationAccessPolicy, PasswordService],
})
export class AuthModule {}
