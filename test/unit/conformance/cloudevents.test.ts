import { CloudEvent, HTTP, ValidationError } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import ledger from '../../../examples/ledger/index.ts';
import shop from '../../../examples/shop/index.ts';
import { decodeEvent } from '../../../shared/events/decode.ts';
import { encodeHeaderValue, STRUCTURED_CONTENT_TYPE } from '../../../shared/events/nats-binding.ts';
import { type OutgoingEvent, toEnvelope } from '../../../shared/events/publish.ts';
import { streamsFor } from '../../../shared/events/streams.ts';

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

  it('the SDK reads what publishEvent sends (its payload and Content-Type header) as the same event', () => {
    for (const event of shop.demo?.({ events: 200, seed: 5 }) ?? []) {
      const envelope = toEnvelope(event);
      const read = HTTP.toEvent({
        headers: { 'content-type': STRUCTURED_CONTENT_TYPE },
        body: JSON.stringify(envelope),
      }) as CloudEvent;
      expect(read.validate()).toBe(true);
      expect({ ...read.toJSON() }).toEqual({ ...envelope, time: new Date(envelope.time).toISOString() });
    }
  });
});

/**
 * Events the CloudEvents SDK makes, in every shape the spec allows, carried over NATS as its
 * binding says, then decoded by Vista: each comes out as the event it is.
 */
describe('Vista decodes the SDK’s events in every valid shape (issue 25.4)', () => {
  const streams = streamsFor(shop.contract, '');
  const demo = [...(shop.demo?.({ events: 300, seed: 11 }) ?? [])];
  const RECEIVED_AT = Date.parse('2026-05-06T07:08:09.010Z');

  /** The SDK's event for a demo event, with `change` applied to its attributes. */
  function sdkEvent(event: OutgoingEvent, change: Record<string, unknown> = {}): CloudEvent {
    const envelope: Record<string, unknown> = { ...toEnvelope(event), ...change };
    for (const [name, value] of Object.entries(change)) if (value === undefined) delete envelope[name];
    return new CloudEvent(envelope, true);
  }

  const subjectOf = (event: OutgoingEvent) =>
    streams.subjectOf(event.eventType.type, event.eventType.aggregateId(event.data));

  /** A NATS message in structured mode: the SDK's JSON body and its Content-Type header. */
  function structuredMessage(event: OutgoingEvent, ce: CloudEvent, drop: readonly string[] = []) {
    const { headers, body } = HTTP.structured(ce);
    const json = JSON.parse(body as string) as Record<string, unknown>;
    // The SDK always writes a time (it stamps one when none is given): a producer that has
    // none sends none, as here.
    for (const name of drop) delete json[name];
    return {
      stream: event.eventType.stream,
      sequence: 1,
      subject: subjectOf(event),
      payload: new TextEncoder().encode(JSON.stringify(json)),
      headers: new Map([['Content-Type', [String(headers['content-type'])]]]),
      receivedAt: RECEIVED_AT,
    };
  }

  /**
   * A NATS message in binary mode, from the SDK's HTTP binary message: each `ce-` header kept,
   * its value percent-encoded as the NATS binding asks (HTTP's binding does not), and HTTP's
   * Content-Type (where the HTTP binding puts datacontenttype) as `ce-datacontenttype`.
   */
  function binaryMessage(event: OutgoingEvent, ce: CloudEvent) {
    const { headers, body } = HTTP.binary(ce);
    const nats = new Map<string, string[]>();
    for (const [name, value] of Object.entries(headers)) {
      const attribute = name.toLowerCase() === 'content-type' ? 'ce-datacontenttype' : name;
      nats.set(attribute, [encodeHeaderValue(String(value))]);
    }
    return {
      stream: event.eventType.stream,
      sequence: 1,
      subject: subjectOf(event),
      payload: new TextEncoder().encode(String(body)),
      headers: nats,
      receivedAt: RECEIVED_AT,
    };
  }

  const expected = (event: OutgoingEvent) => {
    const decoded = decodeEvent(
      {
        stream: event.eventType.stream,
        sequence: 1,
        subject: subjectOf(event),
        payload: new TextEncoder().encode(JSON.stringify(toEnvelope(event))),
        receivedAt: RECEIVED_AT,
      },
      shop.contract,
      streams,
    );
    return { ...decoded };
  };

  it('structured, as the SDK writes it', () => {
    for (const event of demo) {
      expect(decodeEvent(structuredMessage(event, sdkEvent(event)), shop.contract, streams)).toEqual(
        expected(event),
      );
    }
  });

  it('structured without time: the broker’s receive time', () => {
    for (const event of demo) {
      const decoded = decodeEvent(
        structuredMessage(event, sdkEvent(event), ['time']),
        shop.contract,
        streams,
      );
      expect(decoded).toEqual({ ...expected(event), time: '2026-05-06T07:08:09.010Z' });
    }
  });

  it('structured without datacontenttype, or with parameters to it', () => {
    for (const event of demo) {
      const bare = sdkEvent(event, { datacontenttype: undefined });
      expect(decodeEvent(structuredMessage(event, bare), shop.contract, streams)).toEqual(expected(event));
      const withCharset = sdkEvent(event, { datacontenttype: 'application/json; charset=utf-8' });
      expect(decodeEvent(structuredMessage(event, withCharset), shop.contract, streams)).toEqual(
        expected(event),
      );
    }
  });

  it('structured without subject: the aggregate id', () => {
    for (const event of demo) {
      const anonymous = sdkEvent(event, { subject: undefined });
      expect(decodeEvent(structuredMessage(event, anonymous), shop.contract, streams)).toEqual(
        expected(event),
      );
    }
  });

  it('structured with extension attributes, kept on the event', () => {
    const extensions = {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tenant: 'eu-1',
    };
    for (const event of demo) {
      const decoded = decodeEvent(
        structuredMessage(event, sdkEvent(event, extensions)),
        shop.contract,
        streams,
      );
      expect(decoded).toEqual({ ...expected(event), extensions });
    }
  });

  it('binary mode: attributes as ce- headers, data as the body', () => {
    for (const event of demo) {
      const ce = sdkEvent(event, { tenant: 'eu 1 €' });
      const decoded = decodeEvent(binaryMessage(event, ce), shop.contract, streams);
      expect(decoded).toEqual({ ...expected(event), extensions: { tenant: 'eu 1 €' } });
    }
  });

  it('binary mode without datacontenttype (the SDK’s default content type then) and without subject', () => {
    for (const event of demo) {
      const ce = sdkEvent(event, { datacontenttype: undefined, subject: undefined });
      expect(decodeEvent(binaryMessage(event, ce), shop.contract, streams)).toEqual(expected(event));
    }
  });
});
