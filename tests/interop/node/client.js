// The whole exchange with the gateway from Node.js with the `soap` package from npm.
// Install: npm install soap. Run: node client.js ENDPOINT PACKAGE REFUSED_PACKAGE, with
// SENDER, SENDER_SECRET, RECIPIENT and RECIPIENT_SECRET in the environment.
// Prints KEY=VALUE lines. base64Binary travels as base64 text, dateTime as ISO 8601 text.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const soap = require('soap');

async function agency(endpoint, organId, secret) {
  const client = await soap.createClientAsync(endpoint + '?wsdl');
  client.setEndpoint(endpoint);
  client.setSecurity(new soap.BasicAuthSecurity(organId, secret));
  return client;
}

// An operation's result: node-soap resolves to [result, rawResponse, ...].
async function call(client, operation, args = {}) {
  const [result] = await client[operation + 'Async'](args);
  return result || {};
}

const list = (value) => (value === undefined || value === null ? [] : [].concat(value));
const print = (key, ...values) => console.log(key + '=' + values.join('|'));
const utc = (value) => (value ? new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z') : '');

async function main() {
  const [endpoint, packagePath, refusedPath] = process.argv.slice(2);
  const env = process.env;
  const sender = await agency(endpoint, env.SENDER, env.SENDER_SECRET);
  const recipient = await agency(endpoint, env.RECIPIENT, env.RECIPIENT_SECRET);

  // The sender sends a package.
  const pkg = fs.readFileSync(packagePath);
  const { receipt } = await call(sender, 'sendDocument', { package: pkg.toString('base64') });
  print('MESSAGE_ID', receipt.messageId);
  print('DOCUMENT_ID', receipt.documentId);
  print('RECIPIENTS', list(receipt.recipients.organId).join(','));
  print('SIGNATURE', receipt.signatureState);
  print('DUPLICATE', receipt.duplicate);

  // The recipient lists, fetches and confirms it.
  const pending = await call(recipient, 'getPendingDocuments', { messageType: 'edoc' });
  for (const item of list(pending.items && pending.items.item)) {
    print('PENDING', item.messageId, item.from, item.documentId, item.size);
  }
  const { document } = await call(recipient, 'getDocument', { messageId: receipt.messageId });
  const fetched = Buffer.from(document.package, 'base64');
  print('FETCHED_SHA256', crypto.createHash('sha256').update(fetched).digest('hex'));
  print('FETCHED_FROM', document.from);
  await call(recipient, 'confirmReceived', { messageId: receipt.messageId });
  const after = await call(recipient, 'getPendingDocuments');
  print('PENDING_AFTER_CONFIRM', list(after.items && after.items.item).length);

  // The recipient reports two statuses: one with staff and its own time, one without.
  await call(recipient, 'updateStatus', {
    documentId: receipt.documentId, statusCode: '03', description: 'Đã tiếp nhận',
    staff: { department: 'Văn thư', name: 'Nguyễn Thị Bình', email: 'vanthu@nghean.gov.vn' },
    timestamp: '2024-05-17T09:30:00+07:00',
  });
  await call(recipient, 'updateStatus', {
    documentId: receipt.documentId, statusCode: '05', description: 'Đang xử lý',
  });

  // The sender gets the statuses and reads the traces.
  const statuses = await call(sender, 'getPendingDocuments', { messageType: 'status', limit: 10 });
  for (const item of list(statuses.items && statuses.items.item)) {
    print('STATUS_PENDING', item.statusCode, item.from, item.documentId);
    await call(sender, 'confirmReceived', { messageId: item.messageId });
  }
  const { traces } = await call(sender, 'getTraces', { documentId: receipt.documentId });
  for (const trace of list(traces && traces.trace)) {
    const events = list(trace.statuses && trace.statuses.status);
    print('TRACE', trace.recipient, trace.state, events.map((s) => s.statusCode).join('+'));
    for (const status of events) {
      print('TRACE_STATUS', trace.recipient, status.statusCode, utc(status.timestamp),
        status.staff ? status.staff.name : '');
    }
  }

  const { organizations } = await call(sender, 'getOrganizations');
  for (const organization of list(organizations && organizations.organization)) {
    print('ORGANIZATION', organization.organId, organization.name, organization.active);
  }

  // A package the gateway refuses: the fault code is the faultcode without its prefix.
  try {
    await call(sender, 'sendDocument', { package: fs.readFileSync(refusedPath).toString('base64') });
    print('FAULT', 'none');
  } catch (error) {
    if (!error.root) throw error;
    print('FAULT', error.root.Envelope.Body.Fault.faultcode.replace(/^.*:/, ''));
  }
}

main().catch((error) => {
  console.error(error.stack || error);
  process.exit(1);
});
