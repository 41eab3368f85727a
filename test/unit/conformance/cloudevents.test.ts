import { CloudEvent, ValidationError } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import ledger from '../../../examples/ledger/index.ts';
import shop from '../../../examples/shop/index.ts';
import { toEnvelope } from '../../../shared/events/publish.ts';

/** What publishEvent sends, parsed back as the CloudEvents SDK reads a structured-mode event. */
const structured = (envelope: unknown) => JSON.parse(JSON.stringify(envelope)) as Record<string, unknown>;

describe('every demo event is a CloudEvents 1.0 event (issue 15.10)', () => {
  it.each([
    ['shop', shop],
    ['ledger', ledger],
  ])('%s: the cloudevents SDK validates each event of a demo history', (_, app) => {
    const demo = app.demo;
    expect(demo).toBeDefined();
    let checked = 0;
    for (const event of demo?.({ events: 2000, seed: 3 }) ?? []) {
      const cloudEvent = new CloudEvent(structured(toEnvelope(event)), true);
      expect(cloudEvent.validate()).toBe(true);
      expect(cloudEvent.specversion).toBe('1.0');
      checked++;
    }
    expect(checked).toBe(2000);
  });

  it('the SDK refuses what is not one, so the check above can fail', () => {
    const [first] = shop.demo?.({ events: 1, seed: 3 }) ?? [];
    const envelope = structured(toEnvelope(first as never));
    expect(() => new CloudEvent({ ...envelope, source: '' }, true)).toThrow(ValidationError);
    expect(() => new CloudEvent({ ...envelope, time: 'yesterday' }, true)).toThrow(ValidationError);
  });
});
