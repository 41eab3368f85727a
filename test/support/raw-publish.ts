import { once } from 'node:events';
import { connect } from 'node:net';

/**
 * Publishes one message with `block` as its NATS header block, spoken straight to the server as
 * a client other than nats.js may (nats.js refuses to build some blocks that the server stores);
 * resolves once the server took it.
 */
export async function publishWithHeaderBlock(
  natsUrl: string,
  subject: string,
  block: string,
  payload: string,
): Promise<void> {
  const url = new URL(natsUrl.split(',')[0] as string);
  const socket = connect(Number(url.port || 4222), url.hostname);
  await once(socket, 'connect');
  const headerBytes = Buffer.byteLength(block);
  const total = headerBytes + Buffer.byteLength(payload);
  // PING after the publish: its PONG says the server took the HPUB before we hang up.
  socket.write(
    `CONNECT {"verbose":false,"headers":true}\r\nHPUB ${subject} ${headerBytes} ${total}\r\n${block}${payload}\r\nPING\r\n`,
  );
  let answer = '';
  for await (const chunk of socket) {
    answer += String(chunk);
    if (answer.includes('PONG') || answer.includes('-ERR')) break;
  }
  socket.destroy();
  if (!answer.includes('PONG') || answer.includes('-ERR'))
    throw new Error(`the server did not take the message: ${answer.trim()}`);
}
