import type * as grpc from '@grpc/grpc-js';
import type { HealthCheckRequest__Output } from '../../shared/proto/generated/grpc/health/v1/HealthCheckRequest.js';
import type { HealthCheckResponse } from '../../shared/proto/generated/grpc/health/v1/HealthCheckResponse.js';
import type { HealthHandlers } from '../../shared/proto/generated/grpc/health/v1/Health.js';

/** Service names the agent reports: '' (the server as a whole) and the Agent service. */
export const AGENT_SERVICE_NAME = 'tasker.agent.v1.Agent';

type Status = 'SERVING' | 'NOT_SERVING';

/** grpc.health.v1.Health: Check and List; Watch answers once with the current status. */
export class HealthService {
  private status: Status = 'SERVING';

  constructor(private readonly grpcStatus: typeof grpc.status) {}

  setServing(serving: boolean): void {
    this.status = serving ? 'SERVING' : 'NOT_SERVING';
  }

  private lookup(service: string): HealthCheckResponse | undefined {
    if (service === '' || service === AGENT_SERVICE_NAME) return { status: this.status };
    return undefined;
  }

  handlers(): HealthHandlers {
    return {
      Check: (call, callback) => {
        const res = this.lookup(call.request.service);
        if (!res) {
          callback({ code: this.grpcStatus.NOT_FOUND, details: `unknown service \`${call.request.service}\`` });
          return;
        }
        callback(null, res);
      },
      List: (_call, callback) => {
        callback(null, { statuses: { '': { status: this.status }, [AGENT_SERVICE_NAME]: { status: this.status } } });
      },
      Watch: (call: grpc.ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>) => {
        call.write(this.lookup(call.request.service) ?? { status: 'SERVICE_UNKNOWN' });
        call.end();
      },
    };
  }
}
