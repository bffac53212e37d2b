"""The comment form's fields are written out in _form.html (issue #8), not rendered
by their widgets: they must stay what the widgets would write, in every state."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup, Tag
from django.template.loader import render_to_string

from firsthand.blog.models import Post
from firsthand.conversation.forms import ResponseForm
from tests.oracle import active_content

pytestmark = pytest.mark.django_db

HOSTILE = "\"><script>alert(1)</script> & 'x'"
WRITTEN = ("author_name", "author_email", "author_url", "author_title", "body")
CHECKBOXES = ("notify_replies", "notify_post")


def attributes(element: Tag) -> dict[str, str]:
    return {
        name: " ".join(value) if isinstance(value, list) else str(value)
        for name, value in element.attrs.items()
    }


def widget(form: ResponseForm, name: str) -> Tag:
    """The element Django's own widget rendering writes for the field."""
    found = BeautifulSoup(str(form[name]), "html5lib").select_one(f'[name="{name}"]')
    assert found is not None
    return found


def shown(form: ResponseForm, post: Post) -> BeautifulSoup:
    html = render_to_string(
        "conversation/_form.html",
        {
            "post": post,
            "form": form,
            "post_url": post.get_absolute_url(),
            "respond_url": "/respond/1/",
        },
    )
    assert active_content(html) == []
    return BeautifulSoup(html, "html5lib")


def forms() -> list[ResponseForm]:
    rejected = ResponseForm(
        {
            "author_name": HOSTILE,
            "author_url": HOSTILE,
            "author_title": "0",
            "body": f"{HOSTILE}\n\nsecond paragraph",
            "notify_post": "on",
        }
    )
    rejected.full_clean()
    rejected.add_error("author_email", "Please give an email <address>.")
    rejected.add_error("body", "Too long.")
    rejected.add_error("author_url", "Not a web address.")
    rejected.add_error(None, "Not posted yet.")
    rejected.focus_first_error()
    late = ResponseForm({"author_name": "Bob", "body": "Hi", "notify_replies": "on"})
    late.full_clean()
    late.add_error("author_title", "Too long.")
    late.focus_first_error()
    return [ResponseForm(), ResponseForm(initial={"in_reply_to": 3}), rejected, late]


@pytest.mark.parametrize("form", forms(), ids=["empty", "reply", "errors", "title"])
def test_fields_are_what_their_widgets_would_write(
    form: ResponseForm, post: Post
) -> None:
    page = shown(form, post)
    for name in (*WRITTEN, *CHECKBOXES):
        field = page.select_one(f'[name="{name}"]')
        assert field is not None, name
        expected = widget(form, name)
        assert (field.name, attributes(field)) == (expected.name, attributes(expected))
        assert field.get_text() == expected.get_text(), name  # a textarea's text
    for name in WRITTEN:
        label = page.find("label", attrs={"for": f"id_{name}"})
        assert isinstance(label, Tag)
        assert label.get_text().startswith(str(form[name].label))
        assert ("(required)" in label.get_text()) == (name in form.required_names)
        errors = [e.get_text() for e in page.select(f"#id_{name}_error")]
        assert errors == list(form[name].errors), name
        if form[name].help_text:
            helptext = page.find(id=f"id_{name}_helptext")
            assert isinstance(helptext, Tag)
            assert helptext.get_text() == form[name].help_text


def test_what_was_typed_comes_back_as_text(post: Post) -> None:
    page = shown(forms()[2], post)
    name = page.select_one('input[name="author_name"]')
    body = page.select_one('textarea[name="body"]')
    email = page.select_one('input[name="author_email"]')
    assert name is not None
    assert body is not None
    assert email is not None
    assert name["value"] == HOSTILE
    assert body.get_text() == f"{HOSTILE}\n\nsecond paragraph"
    assert email.has_attr("autofocus")
