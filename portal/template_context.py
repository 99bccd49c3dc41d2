"""The templates' context: Jinja2's own, with a shorter path for the calls a page makes most.

Every call in a template (``t("key")``, ``url(...)``, ``card(article)``, a macro) goes through
``Context.call``, which looks at the callable for ``pass_context``-style markers on it and on
its ``__call__`` and pops the loop and block variables Jinja2 passes along: about 0.45 µs a
call, some 45 calls a page. For a plain Python function without a marker and for a macro the
answer is known from the type, so the call is made at once, with exactly the arguments
``Context.call`` would pass (a macro takes the evaluation context first, as its ``__call__`` is
marked ``pass_eval_context``). Everything else takes Jinja2's path.
"""

from __future__ import annotations

from types import FunctionType
from typing import Any

from jinja2.runtime import Context, Macro
from jinja2.utils import internalcode

_MACRO_PASSES_EVAL_CONTEXT = getattr(getattr(Macro.__call__, "jinja_pass_arg", None), "name",
                                     None) == "eval_context"
"""How Jinja2 3.x marks ``Macro.__call__`` (``pass_eval_context``); another marking, and every
macro call takes Jinja2's own path."""


class TemplateContext(Context):
    """Set as an environment's ``context_class``."""

    @internalcode  # left out of template tracebacks, as Jinja2's own
    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        kind = __obj.__class__
        if kind is Macro and _MACRO_PASSES_EVAL_CONTEXT:
            args = (__self.eval_ctx, *args)
        elif kind is not FunctionType or "jinja_pass_arg" in __obj.__dict__:
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception")
