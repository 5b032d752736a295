import winston from 'winston';

export type AgentLogger = winston.Logger;

/** JSON lines on stderr (journald/systemd picks them up); level from --log-level or TASKER_AGENT_LOG_LEVEL. */
export function createAgentLogger(level = 'info', stream: NodeJS.WritableStream = process.stderr): AgentLogger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
}
