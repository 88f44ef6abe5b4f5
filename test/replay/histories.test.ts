import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { readHistoryFile, replayHistory } from '../../lib/replay';

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));

/** Scenarios whose histories must exist for every released workflow version. */
const REQUIRED_SCENARIOS = [
  'success-delivered',
  'out-of-stock',
  'payment-declined',
  'customer-cancel',
  'compensation-after-crash',
];
/** Recorded from v2 on, the first version with the compensate-on-execution-cancel patch. */
const SCENARIOS_SINCE_V2 = ['operator-cancel'];

interface HistoryJson {
  events: (Record<string, { activityType?: { name: string } } | string | undefined> & {
    eventType?: string;
  })[];
}

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
});

describe('recorded saga histories replay against the current workflow code', () => {
  it('has a recording of every required scenario for every recorded version', () => {
    const versions = [...new Set(files.map((f) => f.slice(0, f.indexOf('-'))))].sort();
    // v1: before the patched() changes; v2: with their markers; v3: the saga writes its own order;
    // v4: fulfilment records never give up; v4traced: v4 run with Temporal's OTel workflow
    // interceptors; v5: traced by the sandbox tracer.
    expect(versions).toEqual(expect.arrayContaining(['v1', 'v2', 'v3', 'v4', 'v4traced', 'v5']));
    for (const version of versions) {
      const scenarios =
        version === 'v1' ? REQUIRED_SCENARIOS : [...REQUIRED_SCENARIOS, ...SCENARIOS_SINCE_V2];
      for (const scenario of scenarios) {
        expect(files).toContain(`${version}-${scenario}.json`);
      }
    }
  });

  const patchMarker = (id: string) =>
    Buffer.from(JSON.stringify({ id, deprecated: false })).toString('base64');

  it('v3 and later histories are the saga placing its own order with local steps', () => {
    const placing = files.filter((f) => Number(f.slice(1, f.indexOf('-'))) >= 3);
    expect(placing.length).toBeGreaterThanOrEqual(12);
    for (const file of placing) {
      const text = fs.readFileSync(path.join(DIR, file), 'utf8');
      const raw = JSON.parse(text) as HistoryJson;
      expect(raw.events.map((e) => e.eventType)).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED');
      expect(text.includes(patchMarker('local-steps'))).toBe(true);
      // Reserving inventory ran as a local activity: no queued reserveInventory task.
      expect(text).not.toContain('"reserveInventory"');
    }
  });

  it('v4 histories that reach fulfilment carry the fulfilment-never-gives-up patch', () => {
    const text = fs.readFileSync(path.join(DIR, 'v4-success-delivered.json'), 'utf8');
    expect(text.includes(patchMarker('fulfilment-never-gives-up'))).toBe(true);
    const v3 = fs.readFileSync(path.join(DIR, 'v3-success-delivered.json'), 'utf8');
    expect(v3.includes(patchMarker('fulfilment-never-gives-up'))).toBe(false);
  });

  it("v5 histories carry the sandbox-spans patch; v4traced ones carry Temporal's trace headers and not the patch", () => {
    for (const file of files.filter((f) => f.startsWith('v5-') || f.startsWith('v4traced-'))) {
      const text = fs.readFileSync(path.join(DIR, file), 'utf8');
      expect({ file, patched: text.includes(patchMarker('sandbox-spans')) }).toEqual({
        file,
        patched: file.startsWith('v5-'),
      });
      expect({ file, traced: text.includes('_tracer-data') }).toEqual({ file, traced: true });
    }
    const untraced = fs.readFileSync(path.join(DIR, 'v4-success-delivered.json'), 'utf8');
    expect(untraced.includes('_tracer-data')).toBe(false);
  });

  it.each(files)(
    '%s is deterministic',
    async (file) => {
      const outcome = await replayHistory(readHistoryFile(path.join(DIR, file)), file);
      if (!outcome.deterministic) throw outcome.error;
    },
    60_000,
  );

  it('fails a history that the current code would not produce', async () => {
    const raw = JSON.parse(fs.readFileSync(path.join(DIR, files[0]!), 'utf8')) as HistoryJson;
    const scheduled = raw.events.find((e) => typeof e.activityTaskScheduledEventAttributes === 'object');
    const attributes = scheduled?.activityTaskScheduledEventAttributes as { activityType: { name: string } };
    attributes.activityType.name = 'chargeTwice';
    const tampered = path.join(fs.mkdtempSync('/tmp/trackops-replay-'), 'tampered.json');
    fs.writeFileSync(tampered, JSON.stringify(raw));
    const outcome = await replayHistory(readHistoryFile(tampered), 'tampered');
    expect(outcome.deterministic).toBe(false);
    expect(!outcome.deterministic && outcome.error.message).toMatch(/[Nn]ondeterminism/);
  }, 60_000);
});
