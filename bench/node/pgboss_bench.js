#!/usr/bin/env node
// pg-boss side of build/bin/bench_queue_pull: the same consumer work as the hub's canonical
// queues (take a batch, then acknowledge it), done the pg-boss way, on the same PostgreSQL.
//
//   node pgboss_bench.js --url postgres://user@127.0.0.1:PORT/db --payload FILE
//                        --batches 1,100,1000 --messages 1000,20000,40000 [--rounds 2]
//
// For each batch size B with N messages: send (B = 1: boss.send one by one; else boss.insert in
// chunks of B), then consume: boss.fetch(queue, {batchSize: B}) + boss.complete(queue, ids)
// until N jobs are completed, one consumer, sequentially, like the hub's bench consumer. The
// payload of every job is the same envelope the hub hands out (JSON with the canonical XML body).
// Each round uses a fresh queue; the best round counts (the machine is shared, so a round can be
// slowed by others; the hub's bench does the same). Prints progress lines and, last, one JSON
// object {"<B>": {messages, send_per_s, consume_per_s, rounds}, ...}.

'use strict'

const fs = require('fs')
const { PgBoss } = loadPgBoss()

function loadPgBoss () {
  const mod = require('pg-boss')
  // pg-boss 10 exports the class itself; later majors export { PgBoss }.
  return { PgBoss: mod.PgBoss || mod.default || mod }
}

function args () {
  const out = { url: '', payload: '', batches: [1, 100, 1000], messages: [1000, 20000, 40000], rounds: 2 }
  const argv = process.argv.slice(2)
  for (let i = 0; i + 1 < argv.length; i += 2) {
    const k = argv[i]
    const v = argv[i + 1]
    if (k === '--url') out.url = v
    else if (k === '--payload') out.payload = v
    else if (k === '--batches') out.batches = v.split(',').map(Number)
    else if (k === '--messages') out.messages = v.split(',').map(Number)
    else if (k === '--rounds') out.rounds = Math.max(1, Number(v))
    else throw new Error('unknown option ' + k)
  }
  if (!out.url || !out.payload) throw new Error('--url and --payload are required')
  if (out.batches.length !== out.messages.length) throw new Error('--batches and --messages differ in length')
  return out
}

function envelope (body, key) {
  // Field for field what the hub's pull returns for one message.
  return {
    id: '01900000-0000-7000-8000-' + String(key).padStart(12, '0'),
    type: 'payment.received',
    schema_version: 1,
    source: 'bench',
    occurred_at: new Date().toISOString(),
    correlation_id: '01900000-0000-7000-8000-' + String(key).padStart(12, '0'),
    causation_id: '',
    idempotency_key: 'pgboss-' + key,
    headers: {},
    body
  }
}

async function main () {
  const o = args()
  const body = fs.readFileSync(o.payload, 'utf8')
  const boss = new PgBoss({
    connectionString: o.url,
    max: 4,
    supervise: false, // no maintenance timers inside the measured loops
    schedule: false
  })
  boss.on('error', (e) => console.error('pg-boss error:', e.message))
  await boss.start()
  const results = {}
  let serial = 0
  for (let bi = 0; bi < o.batches.length; bi++) {
    const B = o.batches[bi]
    const N = o.messages[bi]
    const best = { messages: N, send_per_s: 0, consume_per_s: 0, rounds: o.rounds }
    for (let round = 1; round <= o.rounds; round++) {
      const queue = 'bench_' + B + '_' + round + '_' + Date.now()
      await boss.createQueue(queue)

      let t0 = process.hrtime.bigint()
      if (B === 1) {
        for (let i = 0; i < N; i++) await boss.send(queue, envelope(body, serial++))
      } else {
        for (let i = 0; i < N; i += B) {
          const jobs = []
          for (let j = i; j < Math.min(N, i + B); j++) jobs.push({ name: queue, data: envelope(body, serial++) })
          await boss.insert(jobs)
        }
      }
      const sendS = Number(process.hrtime.bigint() - t0) / 1e9

      t0 = process.hrtime.bigint()
      let done = 0
      while (done < N) {
        const jobs = await boss.fetch(queue, { batchSize: B })
        if (jobs.length === 0) throw new Error('queue ' + queue + ' ran dry after ' + done + ' of ' + N)
        // A consumer looks at what it got, as the hub's bench consumer does.
        for (const j of jobs) if (typeof j.data.body !== 'string') throw new Error('job without body')
        await boss.complete(queue, jobs.map((j) => j.id))
        done += jobs.length
      }
      const consumeS = Number(process.hrtime.bigint() - t0) / 1e9
      const send = Math.round(N / sendS)
      const consume = Math.round(N / consumeS)
      console.log(`pg-boss batch ${B} round ${round}: send ${send} msgs/s, fetch+complete ${consume} msgs/s (${N} msgs)`)
      best.send_per_s = Math.max(best.send_per_s, send)
      best.consume_per_s = Math.max(best.consume_per_s, consume)
    }
    results[String(B)] = best
  }
  await boss.stop({ graceful: false, wait: true })
  console.log(JSON.stringify(results))
}

main().catch((e) => {
  console.error('pgboss_bench:', e.stack || e.message)
  process.exit(1)
})
