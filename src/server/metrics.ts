// Prometheus counters of the server: requests by route and status, body bytes written to sockets by
// route, and object bodies being sent at once (now and at most: how many range GETs a client keeps in flight).

export type MetricRoute = 'object' | 'api';

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly bytes: Record<MetricRoute, number> = { object: 0, api: 0 };
  private objectBodies = 0;
  private objectBodiesPeak = 0;

  countRequest(route: MetricRoute, status: number): void {
    const key = `${route}\0${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  countBytes(route: MetricRoute, n: number): void {
    this.bytes[route] += n;
  }

  /** An object body starts going out; call the returned function once when it has ended (or failed). */
  objectBodyStarted(): () => void {
    this.objectBodiesPeak = Math.max(this.objectBodiesPeak, ++this.objectBodies);
    let ended = false;
    return () => {
      if (!ended) this.objectBodies--;
      ended = true;
    };
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
      '# HELP scorefs_server_object_bodies_in_flight Object response bodies being sent now.',
      '# TYPE scorefs_server_object_bodies_in_flight gauge',
      `scorefs_server_object_bodies_in_flight ${this.objectBodies}`,
      '# HELP scorefs_server_object_bodies_in_flight_max The most object response bodies sent at once since the start.',
      '# TYPE scorefs_server_object_bodies_in_flight_max gauge',
      `scorefs_server_object_bodies_in_flight_max ${this.objectBodiesPeak}`,
    );
    return lines.join('\n') + '\n';
  }
}
