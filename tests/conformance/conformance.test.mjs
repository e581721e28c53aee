// One process for every conformance test, so the coverage of Stoat's operations is counted once.
import { after } from "node:test";
import { covered, operations } from "./stoat-contract.mjs";
import "./accounts.mjs";
import "./communities.mjs";
import "./messaging.mjs";
import "./events.mjs";
import "./voice.mjs";
import "./files.mjs";
import "./embeds.mjs";
import "./coverage.mjs";
import "./coverage-accounts.mjs";

after(() => {
  console.log(`operations covered: ${covered.size} of ${operations.length}`);
  const left = operations.filter((operation) => !covered.has(operation));
  if (left.length > 0) console.log(`operations not covered: ${left.join(", ")}`);
});
