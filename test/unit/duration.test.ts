/** The one duration parser, shared by the config and the workflow. */
import { loadConfig } from '../../lib/config';
import { durationMs, parseDuration } from '../../workflows/duration';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['1.5h', 5_400_000],
    ['7d', 604_800_000],
    [' 48h ', 172_800_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(durationMs(text)).toBe(ms);
  });

  it.each(['', '10', 'ten minutes', '5w', '-1s'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
    expect(() => durationMs(text)).toThrow(/not a duration/);
  });

  it('validates every duration the workflow reads at start-up, SHIPMENT_SLA included', () => {
    expect(loadConfig({ SHIPMENT_SLA: '36h' }).SHIPMENT_SLA).toBe('36h');
    expect(() => loadConfig({ SHIPMENT_SLA: 'two days' })).toThrow(/SHIPMENT_SLA/);
    expect(() => loadConfig({ BACKORDER_TIMEOUT: '0s' })).toThrow(/BACKORDER_TIMEOUT/);
  });
});
