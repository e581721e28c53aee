// One process for every conformance test, so the coverage of Stoat's operations is counted once.
import { after } from "node:test";
import { covered, totalOperations } from "./stoat-contract.mjs";
import "./accounts.mjs";
import "./communities.mjs";
import "./messaging.mjs";
import "./events.mjs";

after(() => console.log(`operations covered: ${covered.size} of ${totalOperations}`));
