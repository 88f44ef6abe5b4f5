const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A Debezium connector on Kafka Connect's REST API, for the cdc-lag what-ifs. */
export class ConnectorAdmin {
  constructor(
    private readonly connectUrl: string,
    readonly name: string,
  ) {}

  async request(path: string, init?: RequestInit): Promise<unknown> {
    const response = await fetch(`${this.connectUrl}/connectors/${this.name}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json' },
    });
    if (!response.ok) throw new Error(`Connect ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }

  async config(): Promise<Record<string, string>> {
    return (await this.request('/config')) as Record<string, string>;
  }

  /** PUTs a connector config and waits until the connector and its task run again. */
  async apply(connectorConfig: Record<string, string>): Promise<void> {
    await this.request('/config', { method: 'PUT', body: JSON.stringify(connectorConfig) });
    const deadline = Date.now() + 60_000;
    await sleep(2000);
    for (;;) {
      const status = (await this.request('/status')) as {
        connector: { state: string };
        tasks: { state: string }[];
      };
      const running = status.tasks.length > 0 && status.tasks.every((t) => t.state === 'RUNNING');
      if (status.connector.state === 'RUNNING' && running) return;
      if (Date.now() > deadline) throw new Error(`${this.name} not RUNNING: ${JSON.stringify(status)}`);
      await sleep(500);
    }
  }
}
