// Original file: proto/health.proto


export interface HealthListRequest {
}

export interface HealthListRequest__Output {
}
