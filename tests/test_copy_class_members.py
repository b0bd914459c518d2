"""A method or constructor an agent wrote into a JavaScript or TypeScript class is recorded without its class (the
hook sees only the text it inserted). Its copies stand in other classes, so the recorded text is fingerprinted as the
class member it is (`fragments.fragment_tokens`): a renamed copy pasted into another project's class is found, as a
renamed top-level function always was, and code that parses alone keeps the fingerprints it had."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provguard.languages import detect
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.fingerprints import insertion_prints
from provguard.provenance.fragments import fragment_tokens
from provguard.provenance.origin import Evidence
from provguard.provenance.tokens import tree_token_columns
from snippet_support import recorded, regions


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqliteLedger]:
    store = SqliteLedger(tmp_path / "ledger.sqlite3")
    yield store
    store.close()


# Two members of a TypeScript class an agent edited, recorded as one inserted text, indented as in the class.
TS_MEMBERS = """  constructor(private readonly loader: Loader, options: LoaderOptions = {}) {
    super();
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.cache = new Map<string, Promise<unknown>>();
    if (options.preload) {
      for (const url of options.preload) {
        this.cache.set(url, this.loader.load(url));
      }
    }
  }

  public async fetchAll(urls: string[], signal?: AbortSignal): Promise<Result[]> {
    const results: Result[] = [];
    for (const url of urls) {
      if (signal?.aborted) {
        throw new Error(`aborted while loading ${url}`);
      }
      results.push(await this.fetchOne(url));
    }
    return results;
  }
"""

# Another project's class holding them, every local and parameter renamed.
TS_HOST = """import { Base } from "./base";

export class ResourcePool extends Base {
  private readonly limit = 8;

  constructor(private readonly loader: Loader, cfg: LoaderOptions = {}) {
    super();
    this.options = { ...DEFAULT_OPTIONS, ...cfg };
    this.cache = new Map<string, Promise<unknown>>();
    if (cfg.preload) {
      for (const addr of cfg.preload) {
        this.cache.set(addr, this.loader.load(addr));
      }
    }
  }

  public async fetchAll(targets: string[], abort?: AbortSignal): Promise<Result[]> {
    const acc: Result[] = [];
    for (const t of targets) {
      if (abort?.aborted) {
        throw new Error(`aborted while loading ${t}`);
      }
      acc.push(await this.fetchOne(t));
    }
    return acc;
  }

  size(): number {
    return this.cache.size;
  }
}
"""
TS_COPY_LINES = (5, 25)
"""0-based first and last line of the copy in TS_HOST."""

# Two members of Chevrotain's classes as an agent would write them into a class (chevrotain@11.0.3 on npm, repository
# Chevrotain/chevrotain, Apache-2.0: src/parse/grammar/llk_lookahead.ts, `LLkLookaheadStrategy.validateNoLeftRecursion`,
# and src/parse/exceptions_public.ts, `EarlyExitException`'s constructor). Renamed as bench/disguises.py renames, they
# were missed on the fresh3 split while their fingerprints were those of a syntax error.
CHEVROTAIN_METHOD = """  validateNoLeftRecursion(rules: Rule[]): IParserDefinitionError[] {
    return flatMap(rules, (currTopRule) =>
      validateNoLeftRecursion(
        currTopRule,
        currTopRule,
        defaultGrammarValidatorErrorProvider,
      ),
    );
  }
"""

CHEVROTAIN_CONSTRUCTOR = """  constructor(
    message: string,
    token: IToken,
    public previousToken: IToken,
  ) {
    super(message, token);
    this.name = EARLY_EXIT_EXCEPTION;
  }
"""

RENAMED_IN_A_CLASS = """import { Strategy } from "./strategy";

export class CheckedStrategy extends Strategy {
  private readonly depth = 2;

  validateNoLeftRecursion(acc1: Rule[]): IParserDefinitionError[] {
    return flatMap(acc1, (obj0) =>
      validateNoLeftRecursion(
        obj0,
        obj0,
        defaultGrammarValidatorErrorProvider,
      ),
    );
  }

  describe(): string {
    return `checked to depth ${this.depth}`;
  }
}

export class LateExit extends RecognitionError {
  constructor(
    obj0: string,
    value2: IToken,
    public key1: IToken,
  ) {
    super(obj0, value2);
    this.name = EARLY_EXIT_EXCEPTION;
  }
}
"""
METHOD_LINES = (5, 13)
CONSTRUCTOR_LINES = (22, 30)

JS_METHOD = """  async flushQueue(force) {
    if (this.flushing && !force) {
      return this.pending;
    }
    this.flushing = true;
    const batch = this.queue.splice(0, this.batchSize);
    try {
      await this.transport.send(batch.map((entry) => entry.serialize()));
      this.emit('flushed', batch.length);
    } catch (error) {
      this.queue.unshift(...batch);
      this.emit('error', error);
    } finally {
      this.flushing = false;
    }
    return batch.length;
  }
"""

JS_HOST = """'use strict';

class Outbox extends EventEmitter {
  constructor(transport) {
    super();
    this.transport = transport;
  }

  async flushQueue(now) {
    if (this.flushing && !now) {
      return this.pending;
    }
    this.flushing = true;
    const items = this.queue.splice(0, this.batchSize);
    try {
      await this.transport.send(items.map((e) => e.serialize()));
      this.emit('flushed', items.length);
    } catch (err) {
      this.queue.unshift(...items);
      this.emit('error', err);
    } finally {
      this.flushing = false;
    }
    return items.length;
  }
}

module.exports = { Outbox };
"""
JS_COPY_LINES = (8, 24)


def _found(ledger: SqliteLedger, path: str, host: str, lines: tuple[int, int]) -> list[tuple[int, int]]:
    return [(r.first_line, r.last_line) for r in regions(ledger, path, host)
            if r.origin.evidence is Evidence.FINGERPRINT and r.first_line <= lines[1] and lines[0] <= r.last_line]


@pytest.mark.parametrize(("text", "recorded_at", "host_at", "host", "lines"), [
    (TS_MEMBERS, "src/loader/cached-loader.ts", "lib/pool/resource-pool.ts", TS_HOST, TS_COPY_LINES),
    (JS_METHOD, "src/telemetry/batcher.js", "app/outbox.js", JS_HOST, JS_COPY_LINES),
    (CHEVROTAIN_METHOD, "src/parse/lookahead.ts", "src/checked.ts", RENAMED_IN_A_CLASS, METHOD_LINES),
    (CHEVROTAIN_CONSTRUCTOR, "src/parse/errors.ts", "src/checked.ts", RENAMED_IN_A_CLASS, CONSTRUCTOR_LINES),
], ids=["typescript-constructor-and-method", "javascript-method", "chevrotain-method", "chevrotain-constructor"])
def test_a_renamed_copy_of_class_members_recorded_alone_is_found_in_another_class(
        ledger: SqliteLedger, text: str, recorded_at: str, host_at: str, host: str, lines: tuple[int, int]) -> None:
    ledger.add_agent_edits([recorded(text, recorded_at)])

    found = _found(ledger, host_at, host, lines)

    assert found, "the renamed copy of the class members was not found on its lines"


def test_class_members_recorded_alone_share_every_fingerprint_with_the_same_members_in_a_class() -> None:
    alone = set(insertion_prints(TS_MEMBERS, "src/loader/cached-loader.ts").fingerprints)
    in_class = set(insertion_prints("export class CachedLoader extends Base {\n" + TS_MEMBERS + "}\n",
                                    "src/loader/cached-loader.ts").fingerprints)

    assert alone <= in_class


@pytest.mark.parametrize(("text", "path"), [
    ("const total = items.reduce((sum, item) => sum + item.price, 0);\nreturn total > limit;\n", "a.ts"),
    ("function area(r) {\n  return Math.PI * r * r;\n}\n", "a.js"),
    ("  public Loader(Loader loader) {\n    this.loader = loader;\n  }\n", "A.java"),
    ("if (x {\n", "a.ts"),
], ids=["ts-statements", "js-function", "java-constructor", "broken-either-way"])
def test_text_read_alone_without_an_error_or_with_one_in_a_class_too_keeps_its_tokens(text: str, path: str) -> None:
    language = detect(path)
    source = text.encode()
    alone = tree_token_columns(language.parser().parse(source), language, 0, None, source)

    assert fragment_tokens(source, language) == alone
