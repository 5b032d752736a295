/** The parsed form of a task file. Every value keeps its position for diagnostics. */

export interface FieldValue {
  key: string;
  /** Value with surrounding whitespace and an inline comment removed; quotes are kept (arguments need them). */
  value: string;
  line: number;
  /** 1-based column of the key's first character. */
  keyCol: number;
  /** 1-based column of the value's first character. */
  valueCol: number;
}

export interface TaskNode {
  id: number;
  /** Line of the `task=` key. */
  line: number;
  /** Fields by key (lower-cased); a duplicate key keeps the last value. `task` itself is included. */
  fields: Map<string, FieldValue>;
}

export interface GlobalVar {
  name: string;
  value: string;
  line: number;
  valueCol: number;
}

/** An option line (`--auto-recovery`, `--timeout=60`) at the top of a task file. */
export interface FileArgument {
  text: string;
  line: number;
}

export interface TaskFileAst {
  /** Path as given by the user (for messages). */
  path: string;
  lines: string[];
  fileArgs: FileArgument[];
  globals: Map<string, GlobalVar>;
  tasks: Map<number, TaskNode>;
}
