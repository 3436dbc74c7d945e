/** The kinds of node in a pipeline graph. */
export type StageKind = "source" | "map" | "filter" | "flatMap" | "tap" | "batch" | "sink" | "merge" | "route";

/** What a stage does when an item fails its last attempt. */
export type ErrorPolicy = "fail" | "skip" | "dead-letter";
