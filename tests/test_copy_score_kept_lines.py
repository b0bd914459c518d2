"""A region found by lines kept word for word needs several such lines of code: one idiom line is no copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provguard.ledger.sqlite import SqliteLedger
from snippet_support import recorded, regions


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqliteLedger]:
    store = SqliteLedger(tmp_path / "ledger.sqlite3")
    yield store
    store.close()


GUARD = "ruby2_keywords(:method_missing) if respond_to?(:ruby2_keywords, true)"

RECORDED = f"""\
class AuditedProxy < BasicObject
  def initialize(target, journal, clock)
    @target = target
    @journal = journal
    @clock = clock
    @calls = 0
  end

  def method_missing(meth, *args, &block)
    started = @clock.now
    @calls += 1
    outcome = @target.__send__(meth, *args, &block)
    @journal.append(meth: meth, arity: args.length, took: @clock.now - started)
    outcome
  rescue ::StandardError => error
    @journal.append(meth: meth, failed: error.class.name)
    ::Kernel.raise
  end

  def respond_to_missing?(meth, include_private = false)
    @target.respond_to?(meth, include_private) || super
  end

  def audited_calls
    @calls
  end

  def method_missing(meth, *args, &block)
    @journal.append(meth: meth, forwarded: true)
    @target.public_send(meth, *args, &block)
  end
  # :nocov:
  {GUARD}
  # :nocov:
end
"""

UNRELATED = f"""\
module Storefront
  class CartDecorator
    def initialize(cart, pricing)
      @cart = cart
      @pricing = pricing
    end

    def method_missing(name, *rest, &blk)
      if @cart.respond_to?(name)
        @cart.public_send(name, *rest, &blk)
      else
        @pricing.lookup(@cart.items, name)
      end
    end

    def subtotal_with_tax(rate)
      @cart.items.sum {{ |item| item.price * (1 + rate) }}
    end

    def method_missing(meth, *args, &block)
      return super unless @pricing.knows?(meth)

      public_send(meth, *args, &block)
    end
    # :nocov:
    {GUARD}
    # :nocov:
  end
end
"""

EXCERPT = """\
module Billing
  class Meter
    def method_missing(meth, *args, &block)
      started = @clock.now
      @calls += 1
      outcome = @target.__send__(meth, *args, &block)
      @journal.append(meth: meth, arity: args.length, took: @clock.now - started)
      outcome
    rescue ::StandardError => error
      @journal.append(meth: meth, failed: error.class.name)
      ::Kernel.raise
    end

    def rate_for(plan)
      plan.tiers.first
    end
  end
end
"""


def test_an_idiom_line_shared_with_a_long_recorded_edit_is_not_a_copy_of_it(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(RECORDED, "lib/audited_proxy.rb")])
    assert regions(ledger, "lib/cart_decorator.rb", UNRELATED) == [], (
        "one guard line between two pragmas, kept word for word, is not a copied excerpt")


def test_an_excerpt_of_a_long_recorded_edit_keeping_its_lines_is_still_found(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(RECORDED, "lib/audited_proxy.rb")])
    [region] = regions(ledger, "lib/meter.rb", EXCERPT)
    assert region.first_line <= 5 and region.last_line >= 8, "within the excerpt (lines 3-11), most of it"
    assert dict(region.origin.extra)["source"] == "lib/audited_proxy.rb"
