// The rt test kit's case loop, shared by the Node runners of differential
// tests. rt_tests::node::Node::run_cases appends this file to a runner whose
// last line is `runCases(run)`: it reads a JSON array of cases on stdin, awaits
// run(case) for each in turn (a case settles before the next one starts) and
// prints the JSON array of the answers, one per case.
function runCases(run) {
  let input = '';
  process.stdin.on('data', (d) => { input += d; });
  process.stdin.on('end', async () => {
    const out = [];
    for (const c of JSON.parse(input)) out.push(await run(c));
    process.stdout.write(JSON.stringify(out));
  });
}
