#!/usr/bin/env node
// An independent SOAP client against the hub's /soap endpoint: the `soap` package from the npm
// registry reads the WSDL (and every XSD it references) from the hub, submits the canonical
// payment.received sample, submits it again (duplicate → same id), pulls it back from a canonical
// queue subscription, acks it, and checks that an invalid body comes back as a Client fault
// naming the XPath of the problem.
//
//   node tests/interop/soap_client.js http://127.0.0.1:8480 <operator token> [subscription]
//
// Prints one line per check and "N passed, M failed"; exits 1 when anything failed.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const soap = require('soap');

const [baseUrl, token, subscription = 'billing'] = process.argv.slice(2);
if (!baseUrl || !token) {
  console.error('usage: soap_client.js BASE_URL TOKEN [SUBSCRIPTION]');
  process.exit(2);
}

let passed = 0;
let failed = 0;
function check(ok, what, extra) {
  if (ok) {
    passed++;
    console.log(`ok - ${what}`);
  } else {
    failed++;
    console.log(`not ok - ${what}${extra === undefined ? '' : ': ' + extra}`);
  }
}

const samplePath = path.join(__dirname, '..', '..', 'schemas', 'canonical', 'samples',
                             'payment.received.xml');
const sample = fs.readFileSync(samplePath, 'utf8').replace(/^<\?xml[^>]*\?>\s*/, '');

function envelopeXml(key, body) {
  return `<e:envelope xmlns:e="urn:zhkh-hub:envelope:1" type="payment.received" ` +
         `schemaVersion="1" occurredAt="${new Date().toISOString()}" ` +
         `idempotencyKey="${key}"><e:header name="channel">interop-soap</e:header>` +
         `<e:body>${body}</e:body></e:envelope>`;
}

const asArray = (v) => (v === undefined || v === null ? [] : [].concat(v));
const attrs = (node) => (node && (node.attributes || node.$attributes)) || {};

async function main() {
  const wsdlUrl = `${baseUrl}/soap?wsdl`;
  const client = await soap.createClientAsync(wsdlUrl, {disableCache: true});
  const described = client.describe();
  const service = described.HubService && described.HubService.HubSoapPort;
  check(service && service.Submit && service.Pull && service.Ack,
        'WSDL read: HubService/HubSoapPort offers Submit, Pull, Ack',
        JSON.stringify(Object.keys(service || {})));
  client.setSecurity(new soap.BearerSecurity(token));

  const key = `interop:${Date.now()}:${crypto.randomBytes(4).toString('hex')}`;
  const [submitted] = await client.SubmitAsync({$xml: envelopeXml(key, sample)});
  const id = submitted && String(submitted.messageId);
  check(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id),
        'Submit answers a UUIDv7 message id', JSON.stringify(submitted));
  check(String(submitted && submitted.duplicate) === 'false', 'Submit: not a duplicate');

  const [again] = await client.SubmitAsync({$xml: envelopeXml(key, sample)});
  check(again && String(again.messageId) === id && String(again.duplicate) === 'true',
        'Submit of the same idempotency key answers the existing id', JSON.stringify(again));

  // Pull until our message shows up (a fresh subscription holds only it; be tolerant anyway).
  let mine = null;
  const others = [];
  for (let round = 0; round < 5 && !mine; round++) {
    const [pulled] = await client.PullAsync({subscription, max: 100, waitSeconds: 5});
    for (const m of asArray(pulled && pulled.message)) {
      if (String(attrs(m.envelope).id) === id) mine = m;
      else others.push(m);
    }
  }
  check(mine !== null, `Pull from '${subscription}' returns the submitted message`);
  if (mine) {
    const env = attrs(mine.envelope);
    check(env.type === 'payment.received' && env.idempotencyKey === key,
          'pulled envelope keeps type and idempotency key', JSON.stringify(env));
    check(String(mine.deliveryCount) === '1', 'first delivery', String(mine.deliveryCount));
    check(typeof mine.receipt === 'string' && mine.receipt.length > 0, 'pulled with a receipt');
    const pulledText = JSON.stringify(mine.envelope);
    check(pulledText.includes('152340') && pulledText.includes('100234'),
          'pulled body carries the amount and account of the sample', pulledText.slice(0, 300));

    const [acked] = await client.AckAsync({subscription, receipt: [mine.receipt]});
    check(acked && String(acked.acked) === '1' && asArray(acked.rejected).length === 0,
          'Ack of the receipt acks 1', JSON.stringify(acked));
    const [twice] = await client.AckAsync({subscription, receipt: [mine.receipt]});
    check(twice && String(twice.acked) === '0' && asArray(twice.rejected).length === 1,
          'a second Ack of the same receipt is rejected', JSON.stringify(twice));
  }
  // Leave what we did not submit for its real consumer: it comes back after its timeout.

  const broken = sample.replace('<c:amountKopecks>152340</c:amountKopecks>',
                                '<c:amountKopecks>a lot</c:amountKopecks>');
  try {
    await client.SubmitAsync({$xml: envelopeXml(`${key}:broken`, broken)});
    check(false, 'an invalid body is refused with a SOAP fault', 'no fault');
  } catch (err) {
    const fault = err && err.root && err.root.Envelope && err.root.Envelope.Body &&
                  err.root.Envelope.Body.Fault;
    check(fault && /Client$/.test(String(fault.faultcode)), 'invalid body: faultcode Client',
          fault ? String(fault.faultcode) : String(err));
    check(fault && String(fault.faultstring).includes('c:paymentReceived/c:amountKopecks'),
          'invalid body: faultstring names the XPath', fault ? String(fault.faultstring) : '');
  }
}

main()
  .catch((err) => {
    failed++;
    const body = err && err.response && err.response.data;
    console.log(`not ok - client error: ${err && err.stack ? err.stack : err}` +
                (body ? `\n${String(body).slice(0, 2000)}` : ''));
  })
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
  });
