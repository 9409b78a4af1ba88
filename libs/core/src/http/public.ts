import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'itn:isPublic';

/** The route needs no access token (register, login, refresh, health). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
