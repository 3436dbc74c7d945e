import { memoryStore } from "../../src/index.js";
import { storeConformance } from "./storeConformance.js";

storeConformance("memory", (options) => memoryStore(options));
