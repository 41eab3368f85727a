/**
 * Decode alone: bytes off a stream → a typed, current-version event, with no service and no
 * I/O. The shop's demo history (100,000 events by default) is encoded once as publishEvent
 * sends it (the payload, and the headers a stored message carries) or, with `binary`, in the
 * NATS binding's binary mode (attributes as ce- headers, data as the body), then decoded whole
 * several times; the best repetition is reported in µs per event, both in wall time and in this
 * process's CPU time (process.cpuUsage), which holds on a shared machine where wall time does
 * not. The machine's load is printed beside them.
 * Usage: node --import tsx bench/decode.ts [events=100000] [repetitions=5] [structured|binary]
 */
import { loadavg } from 'node:os';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { shop } from '../examples/shop/contract.ts';
import { demoHistory } from '../examples/shop/demo/history.ts';
import { decodeEvent, streamsFor, toEnvelope } from '../projectors/engine/index.ts';
import { binaryHeaders, STRUCTURED_CONTENT_TYPE } from '../shared/events/nats-binding.ts';

const events = Number(process.argv[2] ?? 100_000);
const repetitions = Number(process.argv[3] ?? 5);
const binary = process.argv[4] === 'binary';

interface Message {
  readonly stream: string;
  readonly sequence: number;
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly headers: MsgHdrs;
  readonly receivedAt: number;
}

const streams = streamsFor(shop, '');
const encoder = new TextEncoder();
const sequence: Record<string, number> = {};
const messages: Message[] = [];
for (const event of demoHistory({ events, seed: 42 })) {
  const envelope = toEnvelope(event);
  const stream = event.eventType.stream;
  sequence[stream] = (sequence[stream] ?? 0) + 1;
  const carried = headers();
  carried.set('Nats-Msg-Id', envelope.id);
  const { data, ...attributes } = envelope;
  if (binary) for (const [name, value] of Object.entries(binaryHeaders(attributes))) carried.set(name, value);
  else carried.set('Content-Type', STRUCTURED_CONTENT_TYPE);
  messages.push({
    stream,
    sequence: sequence[stream] as number,
    subject: streams.subjectOf(envelope.type, envelope.subject),
    payload: encoder.encode(JSON.stringify(binary ? data : envelope)),
    headers: carried,
    receivedAt: Date.parse(envelope.time),
  });
}

const decode = (m: Message) => decodeEvent(m, shop, streams);

/** Decodes every message once; returns wall and CPU µs per event. */
function run(): { wall: number; cpu: number; checksum: number } {
  let checksum = 0;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (const message of messages) checksum += decode(message).sequence;
  const wall = ((performance.now() - wallBefore) * 1000) / messages.length;
  const cpuUsed = process.cpuUsage(cpuBefore);
  const cpu = (cpuUsed.user + cpuUsed.system) / messages.length;
  return { wall, cpu, checksum };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(
  `decode: ${messages.length.toLocaleString('en')} shop demo events, ${binary ? 'binary' : 'structured'} mode, ${repetitions} repetitions`,
);
console.log(`load before: ${load()}`);
run(); // warm-up: JIT and the schemas' first calls
const results = Array.from({ length: repetitions }, run);
const best = (key: 'wall' | 'cpu') => Math.min(...results.map((r) => r[key]));
for (const [i, r] of results.entries())
  console.log(`  #${i + 1}: ${r.wall.toFixed(2)} µs/event wall, ${r.cpu.toFixed(2)} µs/event CPU`);
console.log(
  `best of ${repetitions}: ${best('wall').toFixed(2)} µs/event wall, ${best('cpu').toFixed(2)} µs/event CPU`,
);
console.log(`load after: ${load()}`);
