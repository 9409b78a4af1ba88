import { ApiErrorResponses, AuthRateLimit, UuidParam } from '@itn/core';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthUser, CurrentUser, Public, Roles } from './auth-user';
import { AuthService } from './auth.service';
import {
  AddMemberDto,
  LoginDto,
  MeDto,
  RefreshTokenDto,
  RegisterDto,
  StationMemberDto,
  TokenPairDto,
  UserDto,
} from './dto/auth.dto';
import { StationAccess } from './station-access';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @AuthRateLimit()
  @Post('register')
  @ApiOperation({ summary: 'Create a trader account' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiErrorResponses(400, 409, 429)
  register(@Body() dto: RegisterDto): Promise<UserDto> {
    return this.auth.register(dto);
  }

  @Public()
  @AuthRateLimit()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Exchange email and password for an access and a refresh token' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrorResponses(400, 401, 429)
  login(@Body() dto: LoginDto): Promise<TokenPairDto> {
    return this.auth.login(dto.email, dto.password);
  }

  @Public()
  @AuthRateLimit()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Rotate a refresh token',
    description: 'Spends the refresh token and returns a new pair. A token used twice revokes its whole login.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrorResponses(400, 401, 429)
  refresh(@Body() dto: RefreshTokenDto): Promise<TokenPairDto> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Revoke the login (refresh token family) of this refresh token' })
  @ApiNoContentResponse({ description: 'Logged out' })
  @ApiErrorResponses(400, 401)
  logout(@CurrentUser() user: AuthUser, @Body() dto: RefreshTokenDto): Promise<void> {
    return this.auth.logout(user, dto.refreshToken);
  }

  @Get('me')
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Who am I, and for which stations may I act' })
  @ApiOkResponse({ type: MeDto })
  @ApiErrorResponses(401)
  me(@CurrentUser() user: AuthUser): Promise<MeDto> {
    return this.auth.me(user);
  }
}

@ApiTags('auth')
@ApiBearerAuth('bearer')
@Controller('stations/:id/members')
export class StationMembersController {
  constructor(private readonly auth: AuthService) {}

  @Get()
  @StationAccess('params.id')
  @ApiOperation({ summary: 'List the members of a station (its members or admins)' })
  @ApiOkResponse({ type: [StationMemberDto] })
  @ApiErrorResponses(400, 401, 403)
  list(@Param('id', UuidParam) stationId: string): Promise<StationMemberDto[]> {
    return this.auth.listMembers(stationId);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Make a user a member of a station (admin)' })
  @ApiCreatedResponse({ type: StationMemberDto })
  @ApiErrorResponses(400, 401, 403, 404, 409)
  add(@Param('id', UuidParam) stationId: string, @Body() dto: AddMemberDto): Promise<StationMemberDto> {
    return this.auth.addMember(stationId, dto.userId);
  }

  @Delete(':userId')
  @Roles('admin')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Remove a user from a station (admin)' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrorResponses(400, 401, 403, 404)
  remove(@Param('id', UuidParam) stationId: string, @Param('userId', UuidParam) userId: string): Promise<void> {
    return this.auth.removeMember(stationId, userId);
  }
}
