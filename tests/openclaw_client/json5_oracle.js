// Reads a JSON array of JSON5 texts and prints, for each, what the npm json5 package (the
// reader OpenClaw uses) makes of it: {ok, value} with the value as JSON, or {ok:false, line,
// column, message}. Usage: node json5_oracle.js <json5 package dir> <inputs.json>
const JSON5 = require(process.argv[2]);
const fs = require("fs");
const inputs = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
console.warn = () => {};  // json5 warns about U+2028 in strings; not part of the answer
const out = inputs.map((text) => {
  try {
    const v = JSON5.parse(text);
    return { ok: true, value: JSON.stringify(v) };
  } catch (e) {
    return { ok: false, line: e.lineNumber, column: e.columnNumber, message: e.message };
  }
});
process.stdout.write(JSON.stringify(out));
