"""The XSS corpus: payloads for plain-text fields and Markdown tricks for Markdown fields.

Instead of ``alert()`` every payload calls ``__xss(n)`` (``n`` names the payload), a function the
browser test defines before any page script runs, so even a silent execution is seen. ``HOOK``
in a template is replaced by that call. ``TEMPLATE_MARK`` prefixes template-injection probes:
the page must show ``tpl{{7*7}}``, never ``tpl49``.
"""

from __future__ import annotations

from dataclasses import dataclass

HOOK = "HOOK"
TEMPLATE_MARK = "tpl"
EVALUATED = f"{TEMPLATE_MARK}49"

#: For fields rendered as text (titles, tags, names, references, reasons, ...). Each at most
#: 120 characters, so any of them fits a user name; the ``SHORT`` ones fit a tag (40).
TEXT_TEMPLATES = (
    "<script>HOOK</script>",
    "<img src=x onerror=HOOK>",
    "<svg onload=HOOK>",
    '"><script>HOOK</script>',
    "'onmouseover='HOOK",
    '" autofocus onfocus="HOOK',
    "</textarea><script>HOOK</script>",
    "</title><script>HOOK</script>",
    '<iframe srcdoc="<script>HOOK</script>"></iframe>',
    "<body onload=HOOK>",
    "<details open ontoggle=HOOK>",
    "<math><mtext><table><mglyph><style><img src=x onerror=HOOK>",
    '<a href="javascript:HOOK">x</a>',
    "javascript:HOOK",
    "tpl{{7*7}} tpl${7*7} tpl#{7*7}",
    "<input onfocus=HOOK autofocus>",
    '<object data="javascript:HOOK"></object>',
    '<embed src="data:text/html,<script>HOOK</script>">',
    '<base href="javascript:HOOK//">',
    '<meta http-equiv="refresh" content="0;url=javascript:HOOK">',
    "<video><source onerror=HOOK></video>",
    "<svg><animate onbegin=HOOK attributeName=x dur=1s>",
    "<form><button formaction=javascript:HOOK>go</button></form>",
    "<scr<script>ipt>HOOK</script>",
    "&lt;script&gt;HOOK&lt;/script&gt;",
    "%3Cscript%3EHOOK%3C/script%3E",
    '<noscript><p title="</noscript><img src=x onerror=HOOK>">',
    "\u2028</script><script>HOOK</script>",
    "<x contenteditable onblur=HOOK>x</x>",
    "<style>@import 'javascript:HOOK';</style>",
    "' onclick='HOOK' x='",
    '<a href="&#106;avascript:HOOK">x</a>',
)

#: For fields rendered from Markdown (matchmaker/markdown.py: need and offer descriptions).
MARKDOWN_TEMPLATES = (
    "[x](javascript:HOOK)",
    "[x](JaVaScRiPt:HOOK)",
    "<img src=x onerror=HOOK>",
    "![x](javascript:HOOK)",
    "[reference link][r1]\n\n[r1]: javascript:HOOK",
    "<javascript:HOOK>",
    "[x](&#106;avascript:HOOK)",
    "[x](javascript&#58;HOOK)",
    "[x](java&#x09;script:HOOK)",
    "[x](<javascript:HOOK>)",
    "[x](vbscript:HOOK)",
    "[x](data:text/html;base64,PHNjcmlwdD5fX3hzcygxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml,<svg onload=HOOK>)",
    "<svg onload=HOOK>",
    '<iframe srcdoc="<script>HOOK</script>"></iframe>',
    '"><script>HOOK</script>',
    "'onmouseover='HOOK'",
    "</textarea><script>HOOK</script>",
    '<math><a xlink:href="javascript:HOOK">x</a></math>',
    "tpl{{7*7}} tpl${7*7}",
    '[title breakout](https://ok.example "t\\" onmouseover=\\"HOOK")',
    '![x](https://ok.example/a.png" onerror="HOOK)',
    '[x](#" onclick="HOOK)',
    "`<script>HOOK</script>` in code",
    '<a href="javascript:HOOK">raw anchor</a>',
    "<!--><script>HOOK</script>-->",
    "~~<script>HOOK</script>~~",
    "| a |\n|---|\n| <img src=x onerror=HOOK> |",
    "<https://ok.example/?q=\"><script>HOOK</script>>",
    "[x](  javascript:HOOK  )",
)


@dataclass(frozen=True)
class Payload:
    number: int
    text: str


def _numbered(templates: tuple[str, ...], start: int) -> list[Payload]:
    return [Payload(start + i, t.replace(HOOK, f"__xss({start + i})"))
            for i, t in enumerate(templates)]


TEXT = _numbered(TEXT_TEMPLATES, 1)
MARKDOWN = _numbered(MARKDOWN_TEMPLATES, 101)
SHORT = [p for p in TEXT if len(p.text) <= 40]
