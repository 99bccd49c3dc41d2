"""The templates' context class calls plain functions and macros directly; what a template
makes must not change: same output as Jinja2's own context, for every kind of callable."""

from __future__ import annotations

import jinja2
import pytest
from jinja2.runtime import Context
from markupsafe import Markup

from portal.template_context import TemplateContext


@jinja2.pass_context
def seen(context, name):
    """A function that reads the calling context, loop variables included."""
    return f"{name}={context.get(name)}"


@jinja2.pass_eval_context
def escaping(eval_ctx, text):
    return f"{text}:{eval_ctx.autoescape}"


@jinja2.pass_environment
def environment_of(environment):
    return type(environment).__name__


class Callable:
    def __call__(self, value):
        return f"<{value}>"


class ContextCallable:
    @jinja2.pass_context
    def __call__(self, context, name):
        return f"{name}:{context.get(name)}"


def plain(value, *, times=1):
    return "<b>" * times + str(value)


def label(key, **values):
    return Markup("Trang {n}").format(**values) if values else Markup(key)


def exhausted():
    raise StopIteration


TEMPLATES = {
    "functions": "{{ plain('x') }}|{{ plain('y', times=2) }}|{{ label('Chi tiết tin') }}"
                 "|{{ label('k', n='<3>') }}",
    "in a loop": "{% for item in items %}{{ plain(item) }}{{ seen('item') }}"
                 "{{ seen('loop').startswith('loop=<') }}{% endfor %}",
    "set in a block": "{% set shown = 'đã đặt' %}{{ seen('shown') }}"
                      "{% for i in [1] %}{% set inner = 'trong' %}{{ seen('inner') }}{% endfor %}",
    "markers": "{{ escaping('a') }}|{{ environment_of() }}|{{ obj(1) }}|{{ ctxobj('items') }}",
    "macros": "{% macro card(title, heading='h3') %}<{{ heading }}>{{ title }}</{{ heading }}>"
              "{% endmacro %}{{ card('<Tin>') }}{{ card('Tin', heading='h2') }}"
              "{% for t in items %}{{ card(t) }}{% endfor %}",
    "caller": "{% macro box() %}[{{ caller() }}]{% endmacro %}"
              "{% call box() %}{{ plain('trong hộp') }}{% endcall %}",
    "bound methods": "{{ '2024-01-02'.startswith('2024') }}{{ mapping.get('a') }}",
    "autoescape off": "{% autoescape false %}{% macro m(v) %}{{ v }}{% endmacro %}"
                      "{{ m('<i>') }}{{ plain('<u>') }}{{ escaping('b') }}{% endautoescape %}",
}


def render(context_class: type[Context], source: str) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.context_class = context_class
    return env.from_string(source).render(
        plain=plain, label=label, seen=seen, escaping=escaping, environment_of=environment_of,
        obj=Callable(), ctxobj=ContextCallable(), items=["<một>", "hai"],
        mapping={"a": "<A>"})


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_same_output_as_jinjas_own_context(name):
    assert render(TemplateContext, TEMPLATES[name]) == render(Context, TEMPLATES[name])


@pytest.mark.parametrize("source", [
    "{{ exhausted() is undefined }}",
    # raised inside a macro's body (here by a filter): the macro's call gives undefined
    "{% macro m() %}{{ 1|stop }}{% endmacro %}{{ m() is undefined }}",
])
def test_stop_iteration_gives_undefined_as_with_jinja(source):
    for context_class in (Context, TemplateContext):
        env = jinja2.Environment()
        env.filters["stop"] = lambda value: exhausted()
        env.context_class = context_class
        assert env.from_string(source).render(exhausted=exhausted) == "True"



def test_a_macro_escapes_as_the_template_that_calls_it():
    """A macro from a template without escaping, called from an HTML page, returns markup
    there (Jinja2 gives the macro the caller's evaluation context)."""
    templates = {"macros.txt": "{% macro m(v) %}{{ v }}{% endmacro %}",
                 "page.html": "{% from 'macros.txt' import m %}{{ m('<i>') }}|{{ '<b>' }}"}
    outputs = []
    for context_class in (Context, TemplateContext):
        env = jinja2.Environment(autoescape=jinja2.select_autoescape(["html"]),
                                 loader=jinja2.DictLoader(templates))
        env.context_class = context_class
        outputs.append(env.get_template("page.html").render())
    assert outputs == ["<i>|&lt;b&gt;", "<i>|&lt;b&gt;"]
