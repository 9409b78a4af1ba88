import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Environment, validateEnvironment } from './environment';

/** Typed access to the validated environment: `config.get('PORT', { infer: true })`. */
export type AppConfig = ConfigService<Environment, true>;

@Global()
@Module({
  imports: [
    // Validated when the application is created (not when this file is imported), so every
    // application instance, test apps included, reads the environment as it is at that moment.
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      ignoreEnvFile: true,
      skipProcessEnv: true,
      load: [() => ({ ...validateEnvironment(process.env) })],
    }),
  ],
})
export class AppConfigModule {}
