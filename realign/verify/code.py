"""Code preserved: the code of the original must survive the rewrite, modulo whitespace and
comments.

Code is taken from fenced blocks (``` or ~~~) and <pre>/<code> blocks; an original without
fences whose lines mostly look like code counts as one block, and so does a complete definition
or statement on one or two lines ("def square(x):\n    return x * x", "return x + x"). Each original block is turned into
a token sequence (comments dropped, whitespace between tokens ignored, string literals kept
verbatim) and must appear as a contiguous run in the tokens of the rewrite's code (all its blocks
in order, so a block may be split or merged; a rewrite without fences is read as code as a
whole). Comment syntax follows the fence's language tag, else a guess from the code.

Caveat: indentation is whitespace too, so a change of Python indentation alone is not caught.

Tasks whose point is changing code (`VerifyOptions.code_exempt_tasks`: code_correction,
code_simplification, code_to_code_translation) are exempt.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from realign.records import CheckResult
from realign.verify.base import Check, CheckInput
from realign.verify.options import VerifyOptions

NAME = "code_preserved"


@dataclass(frozen=True)
class CodeBlock:
    lang: str  # fence tag as written, lower-cased ("" when none)
    code: str
    start: int  # offset of the block's first code char in the text

    @property
    def lines(self) -> int:
        return len([ln for ln in self.code.splitlines() if ln.strip()])


_FENCE_OPEN = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^\s`{]*)[^\n`]*$")
_HTML_BLOCK = re.compile(r"<pre[^>]*>\s*(?:<code[^>]*>)?(.*?)(?:</code>\s*)?</pre>|<code>([^<]*\n[^<]*)</code>", re.S | re.I)


def extract_code_blocks(text: str) -> list[CodeBlock]:
    """Fenced and <pre>/<code> blocks of `text`, in order. An unclosed fence runs to the end."""
    blocks: list[CodeBlock] = []
    if "```" in text or "~~~" in text:
        pos = 0
        lines = text.splitlines(keepends=True)
        i = 0
        while i < len(lines):
            m = _FENCE_OPEN.match(lines[i].rstrip("\r\n"))
            if m is None:
                pos += len(lines[i])
                i += 1
                continue
            fence, lang = m.group(1), m.group(2).lower()
            pos += len(lines[i])
            start = pos
            body: list[str] = []
            i += 1
            while i < len(lines):
                s = lines[i].strip()
                if s.startswith(fence[0] * len(fence)) and s.strip(fence[0]) == "":
                    pos += len(lines[i])
                    i += 1
                    break
                body.append(lines[i])
                pos += len(lines[i])
                i += 1
            blocks.append(CodeBlock(lang=lang, code="".join(body), start=start))
    if "<pre" in text or "<code>" in text:
        for m in _HTML_BLOCK.finditer(text):
            code = m.group(1) if m.group(1) is not None else m.group(2)
            blocks.append(CodeBlock(lang="", code=_unescape_html(code), start=m.start()))
        blocks.sort(key=lambda b: b.start)
    return blocks


def _unescape_html(s: str) -> str:
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'").replace("&amp;", "&")


_CODE_LINE = re.compile(
    r"""^\s*(?:
        (?:def|class|import|from|return|elif|else:|try:|except|raise|with|lambda|async|await|yield|
           public|private|protected|static|void|int|char|float|double|bool|boolean|string|String|
           function|var|let|const|if|for|while|switch|case|package|func|fn|impl|struct|enum|use|
           namespace|using|template|typedef|SELECT|INSERT|UPDATE|DELETE|CREATE|FROM|WHERE)\b
      | \#include | \#define | @\w+ | [{}\])] 
      | .*[;{}]\s*$ | .*\)\s*:\s*$ | [\w.\[\]'"]+\s*(?:=|\+=|-=|\*=|/=|:=)\s*\S
      | .*(?:==|=>|->|::|&&|\|\|)
      | \w+(?:\.\w+)*\(.*\)\s*;?\s*$
    )""",
    re.X,
)


# A complete short piece of code on one or two lines: a definition with its body ("def square(x):"
# + "return x * x", "def f(x): return x + 1", "function f(a) { return a * 2; }"), a lambda, a
# return / print of an expression, a query. Case-sensitive keywords, and an expression (operator
# or call) after "return": "Return the book." and "x = 3" working lines are prose, not code.
_EXPR = r"[\w.\[\]'\"]+(?:\s*(?:[-+*/%<>&|^]=?|==|!=|\*\*|//|\.|,)\s*[\w.\[\]'\"()]+|\s*\([^()\n]*\))+[\s;)]*"
_SHORT_HEAD = re.compile(
    r"^(?:def \w+\s*\(.*\)\s*(?:->\s*[\w\[\], .]+)?:$|(?:async\s+)?function\s*\w*\s*\([^()\n]*\)\s*\{"
    r"|(?:fn|func)\s+\w+\s*\([^()\n]*\)[^{\n]*\{|(?:public|private|static)\s[\w<>\[\] ]+\([^()\n]*\)\s*\{)"
)
_SHORT_ONE = re.compile(
    r"^(?:def \w+\s*\([^()\n]*\)\s*:\s*return\s+\S.*|(?:\w+\s*=\s*)?lambda\b[\w, *=]*:\s*" + _EXPR
    + r"|return\s+" + _EXPR + r"|(?:print|console\.log)\(.*\)\s*;?|SELECT\s.+\sFROM\s.+"
    r"|(?:async\s+)?function\s*\w*\s*\([^()\n]*\)\s*\{.*\}\s*;?|(?:const|let|var)\s+\w+\s*=\s*\([^()\n]*\)\s*=>.+)$"
)


def _short_code(lines: list[str]) -> bool:
    if len(lines) == 1:
        return bool(_SHORT_ONE.match(lines[0].strip()))
    head, body = lines[0].strip(), lines[1]
    return bool(_SHORT_HEAD.match(head)) and body[:1] in " \t" and bool(_CODE_LINE.match(body)) and (
        not head.endswith("{") or body.rstrip().endswith(("}", "};")))


# YAML configuration (a CI workflow, a compose file): lower-case keys, "key:" lines opening a
# nested block, "- item" lines; no line of prose
_YAML_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?(?:[a-z_][\w.-]*:(?:[ \t]+\S.*)?|[^\s:#][^\s#]*)[ \t]*$")
_YAML_OPENER = re.compile(r"^([ \t]*)(?:-[ \t]+)?[a-z_][\w.-]*:[ \t]*$")
_YAML_TOP_KEY = re.compile(r"^[a-z_][\w.-]*:")


def _yaml_config(lines: list[str]) -> bool:
    """Unfenced YAML: every line a "key: value", "key:" or "- item" line, keys lower-case, at
    least two "key:" lines with a nested block under them and a key at the top level. A markdown
    list ("- Fruits:" over "  - Apple") has its items at the top level and capitalised terms."""
    if not all(_YAML_LINE.match(ln) for ln in lines) or not any(_YAML_TOP_KEY.match(ln) for ln in lines):
        return False
    openers = 0
    for line, nxt in zip(lines, lines[1:]):
        m = _YAML_OPENER.match(line)
        if m is not None and len(nxt) - len(nxt.lstrip()) > len(m.group(1)):
            openers += 1
    return openers >= 2


def looks_like_code(text: str) -> bool:
    """An unfenced text that is mostly code: >= 3 non-blank lines, >= 60% of them code-like, or
    YAML configuration (`_yaml_config`), or a complete definition or statement on one or two
    lines (`_short_code`)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 3:
        return 0 < len(lines) and _short_code(lines)
    hits = sum(1 for ln in lines if _CODE_LINE.match(ln))
    return hits >= 0.6 * len(lines) or _yaml_config(lines)


def code_of(text: str) -> list[CodeBlock]:
    """The code of a response: its blocks, or the whole text when it is unfenced code."""
    blocks = extract_code_blocks(text)
    if blocks:
        return [b for b in blocks if b.code.strip()]
    if looks_like_code(text):
        return [CodeBlock(lang="", code=text, start=0)]
    return []


def strip_code(text: str, spans: bool = True) -> str:
    """`text` without its fenced / <pre> code blocks and (`spans`) inline `code` spans (for prose
    checks; a list keeps its spans: "- `git status`" is an item)."""
    if "```" in text or "~~~" in text:
        out: list[str] = []
        fence: str | None = None
        for line in text.splitlines():
            s = line.strip()
            if fence is None:
                m = _FENCE_OPEN.match(line)
                if m:
                    fence = m.group(1)
                    continue
                out.append(line)
            elif s.startswith(fence) and s.strip(fence[0]) == "":
                fence = None
        text = "\n".join(out)
    if "<pre" in text or "<code>" in text:
        text = _HTML_BLOCK.sub(" ", text)
    if spans and "`" in text:
        text = re.sub(r"`[^`\n]+`", " ", text)
    return text


# --- tokenizing modulo whitespace and comments ---------------------------------------------

_HASH = "hash"
_SLASH = "slash"
_SLASH_HASH = "slash_hash"
_DASH = "dash"
_HTML = "html"
_SEMI = "semi"
_PERCENT = "percent"
_NONE = "none"

_LANG_STYLE: dict[str, str] = {}
for _style, _names in {
    _HASH: "python py python3 ipython pycon ruby rb sh bash shell zsh console shell-session perl pl r yaml yml "
    "toml powershell ps1 ps makefile make dockerfile julia jl elixir ex exs nim coffee tcl awk conf ini cmake "
    "gdscript crystal fish nix",
    _SLASH: "c h cpp c++ cc cxx hpp java js javascript jsx mjs ts typescript tsx go golang rust rs swift kotlin kt "
    "scala csharp cs c# dart objc objective-c objectivec groovy solidity sol verilog zig json5 jsonc css scss "
    "less glsl hlsl proto protobuf cuda cu arduino ino d vala",
    _SLASH_HASH: "php",
    _DASH: "sql mysql postgresql postgres psql plsql sqlite tsql haskell hs lua elm ada vhdl",
    _HTML: "html xml xhtml svg vue markdown md htm",
    _SEMI: "lisp clojure clj scheme racket elisp emacs-lisp asm nasm assembly ini-semi",
    _PERCENT: "matlab octave tex latex erlang erl prolog",
    _NONE: "json text txt plaintext csv diff",
}.items():
    for _n in _names.split():
        _LANG_STYLE[_n] = _style

_STR = (
    r'(?P<s>"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|`(?:\\.|[^`\\])*`)'
)
_TOK = r"(?P<t>\w+|\S)"
_COMMENTS = {
    _HASH: r"\#[^\n]*",
    _SLASH: r"//[^\n]*|/\*[\s\S]*?(?:\*/|$)",
    _SLASH_HASH: r"//[^\n]*|/\*[\s\S]*?(?:\*/|$)|\#[^\n]*",
    _DASH: r"--[^\n]*|/\*[\s\S]*?(?:\*/|$)|\{-[\s\S]*?(?:-\}|$)",
    _HTML: r"<!--[\s\S]*?(?:-->|$)",
    _SEMI: r";[^\n]*",
    _PERCENT: r"%[^\n]*",
    # unknown language: C-style comments, and '#' comments that are not preprocessor lines
    "guess": r"//[^\n]*|/\*[\s\S]*?(?:\*/|$)|\#(?!include|define|if|ifdef|ifndef|endif|else|elif|pragma|undef|!|\[)[^\n]*",
}
_TOKENIZERS: dict[str, re.Pattern[str]] = {}
for _style, _c in _COMMENTS.items():
    _TOKENIZERS[_style] = re.compile(f"(?P<c>{_c})|{_STR}|{_TOK}")
_TOKENIZERS[_NONE] = re.compile(f"{_STR}|{_TOK}")

_PYTHONISH = re.compile(r"^\s*(?:def |class \w+.*:|import \w|from \w+ import|print\(|elif |for \w+ in )", re.M)
_CISH = re.compile(r"#include|;\s*$|^\s*//", re.M)


def comment_style(lang: str, code: str) -> str:
    style = _LANG_STYLE.get(lang.lower())
    if style is not None:
        return style
    if _PYTHONISH.search(code) and not _CISH.search(code):
        return _HASH
    return "guess"


def code_tokens(code: str, style: str) -> list[str]:
    """Tokens of `code` with comments dropped; whitespace is never a token."""
    tok = _TOKENIZERS.get(style, _TOKENIZERS["guess"])
    return [m.group(0) for m in tok.finditer(code) if m.lastgroup != "c"]


_SEP = "\x1f"


def _first_difference(orig: list[str], cand_blocks: list[list[str]]) -> str:
    best: list[str] | None = None
    best_ratio = -1.0
    for toks in cand_blocks:
        r = difflib.SequenceMatcher(None, orig[:2000], toks[:2000], autojunk=False).ratio()
        if r > best_ratio:
            best, best_ratio = toks, r
    if not best:
        return "the rewrite has no code"
    sm = difflib.SequenceMatcher(None, orig[:2000], best[:2000], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        a = " ".join(orig[max(0, i1 - 3) : min(len(orig), i2 + 3)])[:80]
        b = " ".join(best[max(0, j1 - 3) : min(len(best), j2 + 3)])[:80]
        what = {"replace": "changed", "delete": "removed", "insert": "added"}[op]
        return f"first difference ({what}): original `{a}`, rewrite `{b}`"
    return "the blocks are split or reordered differently"


def check_code(inp: CheckInput, options: VerifyOptions) -> CheckResult:
    if inp.task in options.code_exempt_tasks:
        return CheckResult(
            name=NAME, passed=True, reason=f"not applicable: task {inp.task} changes code by design"
        )
    orig_blocks = code_of(inp.original)
    if not orig_blocks:
        return CheckResult(name=NAME, passed=True, reason="not applicable: the original has no code")
    cand_blocks = extract_code_blocks(inp.candidate)
    cand_code = [b for b in cand_blocks if b.code.strip()] or [CodeBlock("", inp.candidate, 0)]
    for n, ob in enumerate(orig_blocks, 1):
        style = comment_style(ob.lang, ob.code)
        otoks = code_tokens(ob.code, style)
        if not otoks:
            continue
        ctoks_per_block = [code_tokens(cb.code, style) for cb in cand_code]
        joined = _SEP + _SEP.join(_SEP.join(t) for t in ctoks_per_block if t) + _SEP
        if _SEP + _SEP.join(otoks) + _SEP in joined:
            continue
        lang = ob.lang or "untagged"
        which = f"block {n} of {len(orig_blocks)}" if len(orig_blocks) > 1 else "block"
        if not cand_blocks and not looks_like_code(inp.candidate):
            detail = "the rewrite has no code block"
        else:
            detail = _first_difference(otoks, ctoks_per_block)
        return CheckResult(
            name=NAME,
            passed=False,
            reason=(
                f"code changed: the original's code {which} ({lang}, {ob.lines} lines) is not in the "
                f"rewrite, even ignoring whitespace and comments; {detail}"
            ),
        )
    return CheckResult(
        name=NAME,
        passed=True,
        reason=f"code preserved: {len(orig_blocks)} original code block(s) found in the rewrite "
        "(ignoring whitespace and comments)",
    )


def make_check(options: VerifyOptions) -> Check:
    def check(inp: CheckInput) -> CheckResult:
        return check_code(inp, options)

    return check
