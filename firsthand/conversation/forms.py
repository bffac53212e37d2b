"""The comment form: it shows and re-shows fields; intake does the judging."""

from __future__ import annotations

from django import forms
from django.conf import settings

from firsthand.rendering import clean_text


class CleanCharField(forms.CharField):
    """A text field that drops XML-forbidden characters instead of refusing them."""

    def to_python(self, value: object) -> str:
        if value in self.empty_values:
            return ""
        return clean_text(str(value))


class ResponseForm(forms.Form):
    # Intake enforces these; the form only says so (label and aria-required).
    required_names = ("author_name", "author_email", "body")

    # No max_length here on purpose: a browser's maxlength silently cuts a pasted
    # text. Intake checks the lengths and says how much is over, keeping the text.
    author_name = CleanCharField(
        label="Name",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    author_email = CleanCharField(
        label="Email",
        required=False,
        help_text="Never shown to anyone.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    author_url = CleanCharField(
        label="Website",
        required=False,
        widget=forms.URLInput(attrs={"autocomplete": "url", "placeholder": "https://"}),
    )
    author_title = CleanCharField(
        label="Title or affiliation",
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "organization-title", "placeholder": "optional"}
        ),
    )
    body = CleanCharField(
        label="Comment",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    # The number of the response this one answers (a reply), empty for a new
    # top-level comment. Rendered by hand in the template (see _form.html).
    in_reply_to = forms.IntegerField(required=False, min_value=1)
    notify_replies = forms.BooleanField(
        label="Email me replies to my comment", required=False
    )
    notify_post = forms.BooleanField(
        label="Email me new comments on this post", required=False
    )
    # Guard field, rendered by hand in the template (see _form.html); the form's
    # ticket travels in a cookie (tickets.py).
    # A honeypot: hidden from people (CSS, aria-hidden, no tab stop), filled by bots.
    # Its name is one no browser's autofill recognises, so no person fills it.
    leave_blank = forms.CharField(required=False)

    def is_blank(self) -> bool:
        """Nothing of a person's in it: unbound (so no typed values and no errors)
        and no initial values. Such a form renders the same for every reader."""
        return not self.is_bound and not self.initial

    def focus_first_error(self) -> None:
        """Put the cursor in the first field to fix (no script needed)."""
        for name in self.fields:
            if name in self.errors:
                self.fields[name].widget.attrs["autofocus"] = True
                return

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.max_chars: int = settings.FIRSTHAND_RESPONSE_MAX_CHARS
        self.max_chars_text = f"{self.max_chars:,}"
        self.fields["body"].help_text = (
            "Markdown: *emphasis*, **strong**, [a link](https://example.com), "
            f"> quote, `code`. Up to {self.max_chars_text} characters."
        )
        for name in self.required_names:
            self.fields[name].widget.attrs["aria-required"] = "true"
