/**
 * The preload honours the standard sampling variables (default: keep every trace; a parent's
 * decision is followed) and describes each process by service name, version and environment.
 * Proven in child processes started as the app processes are (the OTel preload flags).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import packageJson from '../../package.json';
import { APP_PRELOAD_FLAGS } from '../../lib/telemetry/preload-flags';

interface Decision {
  recording: boolean;
  sampled: boolean;
}
interface Probe {
  root: Decision;
  childOfRemote: Decision;
  resource: Record<string, unknown> | null;
}

const SAMPLED_PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const UNSAMPLED_PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
const KEPT = { recording: true, sampled: true };
const DROPPED = { recording: false, sampled: false };

async function probe(env: Record<string, string>, remoteParent = SAMPLED_PARENT): Promise<Probe> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...APP_PRELOAD_FLAGS, path.join(__dirname, 'fixtures', 'sampling-probe.ts'), remoteParent],
    {
      cwd: path.resolve(__dirname, '..', '..'),
      env: {
        ...process.env,
        OTEL_SDK_DISABLED: 'false',
        OTEL_TRACES_SAMPLER: '',
        OTEL_TRACES_SAMPLER_ARG: '',
        OTEL_SERVICE_NAME: '',
        OTEL_RESOURCE_ATTRIBUTES: '',
        // A collector that is not there: the probe exports nothing before it exits.
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        ...env,
      },
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as Probe;
}

jest.setTimeout(60_000);

test('by default every trace is kept, and the process says which service, version and environment it is', async () => {
  const result = await probe({ DEPLOYMENT_ENVIRONMENT: 'staging' });
  expect(result.root).toEqual(KEPT);
  expect(result.childOfRemote).toEqual(KEPT);
  expect(result.resource).toMatchObject({
    'service.name': 'trackops',
    'service.version': packageJson.version,
    'deployment.environment': 'staging',
    'deployment.environment.name': 'staging',
  });
});

test('OTEL_TRACES_SAMPLER=parentbased_traceidratio with ratio 0 drops new traces and follows a parent', async () => {
  const env = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' };
  const kept = await probe(env, SAMPLED_PARENT);
  expect(kept.root).toEqual(DROPPED);
  expect(kept.childOfRemote).toEqual(KEPT);
  const dropped = await probe(env, UNSAMPLED_PARENT);
  expect(dropped.childOfRemote).toEqual(DROPPED);
});

test('OTEL_TRACES_SAMPLER=always_off keeps nothing, not even under a sampled parent', async () => {
  const result = await probe({ OTEL_TRACES_SAMPLER: 'always_off' });
  expect(result.root).toEqual(DROPPED);
  expect(result.childOfRemote).toEqual(DROPPED);
});

test('OTEL_RESOURCE_ATTRIBUTES overrides the environment the process reports', async () => {
  const result = await probe({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=eu-prod' });
  expect(result.resource).toMatchObject({
    'deployment.environment': 'eu-prod',
    'deployment.environment.name': 'eu-prod',
  });
});
