import { contextSuite } from "./contextSuite.js";

contextSuite("process");
