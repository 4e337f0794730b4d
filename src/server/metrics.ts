// Prometheus counters of the server: requests by route and status, body bytes written to sockets by route,
// and the most requests of a route it has had open at once (how parallel its clients are).

export type MetricRoute = 'object' | 'api';

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly bytes: Record<MetricRoute, number> = { object: 0, api: 0 };
  private readonly open: Record<MetricRoute, number> = { object: 0, api: 0 };
  private readonly peak: Record<MetricRoute, number> = { object: 0, api: 0 };

  /** A request arrived; `countRequest` ends it. */
  startRequest(route: MetricRoute): void {
    this.peak[route] = Math.max(this.peak[route], ++this.open[route]);
  }

  countRequest(route: MetricRoute, status: number): void {
    this.open[route]--;
    const key = `${route}\0${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  countBytes(route: MetricRoute, n: number): void {
    this.bytes[route] += n;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines = [
      '# HELP scorefs_server_requests_total HTTP requests answered, by route (object bytes or api) and status.',
      '# TYPE scorefs_server_requests_total counter',
    ];
    for (const [key, n] of [...this.requests].sort()) {
      const [route, status] = key.split('\0');
      lines.push(`scorefs_server_requests_total{route="${route}",status="${status}"} ${n}`);
    }
    lines.push(
      '# HELP scorefs_server_bytes_sent_total Response body bytes written to sockets, by route.',
      '# TYPE scorefs_server_bytes_sent_total counter',
    );
    for (const route of ['object', 'api'] as const) lines.push(`scorefs_server_bytes_sent_total{route="${route}"} ${this.bytes[route]}`);
    lines.push(
      '# HELP scorefs_server_requests_open_peak The most requests of a route open at once since the server started.',
      '# TYPE scorefs_server_requests_open_peak gauge',
    );
    for (const route of ['object', 'api'] as const) lines.push(`scorefs_server_requests_open_peak{route="${route}"} ${this.peak[route]}`);
    return lines.join('\n') + '\n';
  }
}
