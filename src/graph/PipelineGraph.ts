import { CycleError } from "../errors/CycleError.js";
import { InvalidPipelineError } from "../errors/InvalidPipelineError.js";
import type { GraphEdge, GraphNode } from "./GraphNode.js";
import { topologicalOrder } from "./topologicalOrder.js";

/**
 * The mutable graph behind a pipeline's builder handles. Nodes are only added; every edge is
 * checked when added, so a duplicate name or a cycle fails at definition time, naming the culprit.
 */
export class PipelineGraph {
  /** The pipeline's name. */
  readonly name: string;
  /** Every node, by id, in the order added (a node's inputs come before it). */
  readonly nodes: GraphNode[] = [];
  readonly #names = new Map<string, number>();
  readonly #kindCounts = new Map<string, number>();
  /** Fragment instances applied so far (qualified names), and the one being applied now, innermost last. */
  readonly #groups = new Set<string>();
  readonly #groupStack: string[] = [];
  /** Bumped on every change, so a compiled plan can be cached until the graph changes. */
  version = 0;

  constructor(name: string) {
    this.name = name;
  }

  /**
   * A default name: the function's own name when it has one and it is free, else the first free
   * `<kind>-<n>`. Taking nothing: until a node is added under it, the same name comes back (so a
   * stage whose options fail validation is named in the error as it would have been in the plan).
   */
  defaultName(kind: string, fnName: string | undefined): string {
    const prefix = this.#prefix();
    if (fnName !== undefined && fnName !== "" && !fnName.startsWith("bound ") && !this.#names.has(prefix + fnName))
      return prefix + fnName;
    const counter = prefix + kind;
    let n = this.#kindCounts.get(counter) ?? 0;
    let name: string;
    do name = `${prefix}${kind}-${++n}`;
    while (this.#names.has(name));
    this.#kindCounts.set(counter, n - 1); // every number below n is taken
    return name;
  }

  /** `name` as a node added now is named: inside a fragment, under the fragment's name (`enrich/parse`). */
  qualify(name: string): string {
    const prefix = this.#prefix();
    return prefix === "" || name.startsWith(prefix) ? name : prefix + name;
  }

  /** The fragment instance nodes are added under now (qualified), if any. */
  get group(): string | undefined {
    return this.#groupStack[this.#groupStack.length - 1];
  }

  /**
   * Runs `build` with the nodes it adds grouped under a fragment instance: named `<group>/<stage>`
   * and carrying the group. `name` is the instance's name: given, it must be free (else a
   * duplicate-name error); by default the fragment's own name, then `<name>-2`, `<name>-3`… when
   * the fragment is used again.
   */
  inGroup<R>(fragmentName: string, name: string | undefined, build: () => R): R {
    let group: string;
    if (name !== undefined) {
      group = this.qualify(name);
      if (this.#groups.has(group) || this.#names.has(group)) {
        throw new InvalidPipelineError(this.name, `duplicate fragment name "${group}"`, "WEIR_DUPLICATE_NAME");
      }
    } else {
      group = this.qualify(fragmentName);
      for (let n = 2; this.#groups.has(group) || this.#names.has(group); n++)
        group = this.qualify(`${fragmentName}-${n}`);
    }
    this.#groups.add(group);
    this.#groupStack.push(group);
    try {
      return build();
    } finally {
      this.#groupStack.pop();
    }
  }

  #prefix(): string {
    const group = this.group;
    return group === undefined ? "" : `${group}/`;
  }

  /** Adds a node; rejects a duplicate name or an edge from a sink or from a route itself. */
  add(node: Omit<GraphNode, "id">): GraphNode {
    const name = this.qualify(node.name);
    if (this.#names.has(name) || this.#groups.has(name)) {
      throw new InvalidPipelineError(this.name, `duplicate stage name "${name}"`, "WEIR_DUPLICATE_NAME");
    }
    const group = this.group;
    const full: GraphNode =
      group === undefined ? { ...node, id: this.nodes.length } : { ...node, name, group, id: this.nodes.length };
    for (const edge of full.inputs) this.#checkEdge(edge, full);
    this.nodes.push(full);
    this.#names.set(full.name, full.id);
    this.version++;
    return full;
  }

  /** Adds an edge into an existing merge node; rejects an edge that would close a cycle. */
  connect(edge: GraphEdge, to: GraphNode): void {
    if (to.kind !== "merge") {
      throw new InvalidPipelineError(
        this.name,
        `"${to.name}" is a ${to.kind} stage: only a merge point accepts more inputs`,
      );
    }
    this.#checkEdge(edge, to);
    const path = this.#path(to.id, edge.from);
    if (path !== undefined) throw new CycleError([...path.map((id) => this.nodes[id]!.name), to.name]);
    to.inputs.push(edge);
    this.version++;
  }

  #checkEdge(edge: GraphEdge, to: Pick<GraphNode, "name">): void {
    const from = this.nodes[edge.from];
    if (from === undefined)
      throw new InvalidPipelineError(this.name, `unknown stage #${edge.from} feeding "${to.name}"`);
    if (from.kind === "sink")
      throw new InvalidPipelineError(this.name, `"${from.name}" is a sink: nothing can follow it ("${to.name}")`);
    if (from.kind === "route" && edge.key === undefined) {
      throw new InvalidPipelineError(
        this.name,
        `"${to.name}" must follow one branch of route "${from.name}", not the route itself`,
      );
    }
  }

  /** A path of node ids from `from` to `to` along edges, if there is one. */
  #path(from: number, to: number): number[] | undefined {
    const consumers = this.consumers();
    const seen = new Set<number>();
    const walk = (id: number, trail: number[]): number[] | undefined => {
      if (id === to) return [...trail, id];
      if (seen.has(id)) return undefined;
      seen.add(id);
      for (const next of consumers.get(id) ?? []) {
        const found = walk(next, [...trail, id]);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    return walk(from, []);
  }

  /** Consumers of each node (node id → ids of nodes with an edge from it). */
  consumers(): Map<number, number[]> {
    const map = new Map<number, number[]>();
    for (const node of this.nodes) {
      for (const edge of node.inputs) {
        const list = map.get(edge.from) ?? [];
        list.push(node.id);
        map.set(edge.from, list);
      }
    }
    return map;
  }

  /** Node ids in an order where every node comes after its inputs. */
  topologicalOrder(): number[] {
    const nodes = this.nodes;
    return topologicalOrder(
      nodes.length,
      (id) => nodes[id]!.inputs.map((e) => e.from),
      (id) => nodes[id]!.name,
      "edge",
    );
  }
}
