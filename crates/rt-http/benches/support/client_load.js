// Node's half of `cargo xtask bench http_client`: `conc` loops of http.get
// through one keep-alive Agent (maxSockets = conc) against the bench's
// canned-response server for `secs` seconds. Prints
// {"n": requests, "secs": elapsed, "cpu_us": this process's user+system µs,
//  "ctx": its context switches (voluntary + involuntary) over the run}.
'use strict';
const http = require('http');
const [port, conc, secs] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
let n = 0;
let running = conc;
const end = Date.now() + secs * 1000;
const cpu0 = process.cpuUsage();
const ru0 = process.resourceUsage();
const t0 = process.hrtime.bigint();
function done() {
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(cpu0);
  const ru = process.resourceUsage();
  const ctx =
    ru.voluntaryContextSwitches - ru0.voluntaryContextSwitches +
    ru.involuntaryContextSwitches - ru0.involuntaryContextSwitches;
  console.log(JSON.stringify({ n, secs: elapsed, cpu_us: c.user + c.system, ctx }));
  agent.destroy();
}
function one() {
  if (Date.now() >= end) {
    if (--running === 0) done();
    return;
  }
  http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
    res.resume();
    res.on('end', () => {
      n++;
      one();
    });
  }).on('error', (e) => {
    console.error(e);
    process.exit(1);
  });
}
for (let i = 0; i < conc; i++) one();
