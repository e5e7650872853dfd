'use strict';
// Stand-in for the attacker's server in the end-to-end demo: a TCP listener on a free loopback
// port that answers HTTP POSTs with 200 and logs what every connection sent, so the demo can show
// that the tampered package really exfiltrated the dummy credentials.
//   node outside-listener.js PORT_FILE   (writes the chosen port to PORT_FILE once listening)
const net = require('net');
const fs = require('fs');

const portFile = process.argv[2];
if (!portFile) {
  console.error('usage: node outside-listener.js PORT_FILE');
  process.exit(2);
}

function httpRequestComplete(buffer) {
  const text = buffer.toString('latin1');
  const headerEnd = text.indexOf('\r\n\r\n');
  if (!text.startsWith('POST ') && !text.startsWith('GET ')) return false;
  if (headerEnd < 0) return false;
  const match = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, headerEnd));
  const bodyLength = match ? Number(match[1]) : 0;
  return buffer.length >= headerEnd + 4 + bodyLength;
}

const server = net.createServer((socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  let received = Buffer.alloc(0);
  let answered = false;
  socket.setTimeout(10000, () => socket.destroy());
  socket.on('data', (chunk) => {
    received = Buffer.concat([received, chunk]);
    if (!answered && httpRequestComplete(received)) {
      answered = true;
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    const firstLine = received.toString('utf8').split('\r\n')[0].split('\n')[0];
    console.log(`outside: connection from ${peer} sent ${received.length} bytes ` +
                `(${JSON.stringify(firstLine.slice(0, 60))})`);
  });
});

server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
