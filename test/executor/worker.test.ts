import { contextSuite } from "./contextSuite.js";

contextSuite("worker");
