import { MetricsRegistry } from '@itn/core';
import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { EventFollower } from '../event-follower.service';
import { RealtimeGateway } from './realtime.gateway';

@Injectable()
export class RealtimeMetrics {
  constructor(registry: MetricsRegistry, gateway: RealtimeGateway, follower: EventFollower) {
    new Gauge({
      name: 'itn_socketio_connections',
      help: 'Socket.IO connections on this instance',
      registers: [registry],
      collect() {
        this.set(gateway.connections);
      },
    });
    new Gauge({
      name: 'itn_event_follower_lag_seconds',
      help: 'From the commit of the last event to its hand-off to the clients of this instance',
      registers: [registry],
      collect() {
        this.set(follower.lastLagMs / 1000);
      },
    });
  }
}
