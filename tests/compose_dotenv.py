"""How Docker Compose reads a `.env` file: a line-for-line port of compose-go's parser.

Docker Compose is not installed where these tests run, so this module stands in for it.
It follows compose-spec/compose-go at commit e70e961c3a3acebf0800b882f1afb3dbf1fb74a2
(2026-07-21); the dotenv parser itself last changed in ac47661f623e460516e8d10d7333e500c2bb54be:

- `dotenv/parser.go`    -> `_Parser` (statements, keys, quoting, escapes, inline comments)
- `dotenv/godotenv.go`  -> `parse` (UTF-8 BOM, lookup order) and `_expand_variables`
- `dotenv/env.go`       -> `parse` with `environ` (the process environment wins over the file)
- `template/template.go`-> `substitute` (`$VAR`, `${VAR}`, `$$`, `${VAR:-x}` and friends)

The rules that matter for passwords, all kept here:

- unquoted values end at the line end or at the first " #"; trailing white space goes;
  `$VAR` and `${VAR}` are interpolated and `$$` is a literal `$`;
- single-quoted values are literal (no interpolation); the only escape is `\\'`, and a
  backslash before anything else is kept: `'a\\\\b'` is `a\\\\b`, two backslashes;
- double-quoted values may span lines; `\\\\ \\" \\n \\t \\$ \\0nnn ...` are decoded, then
  variables are interpolated;
- `export KEY=...` and `KEY: value` are accepted; a bare `KEY` line inherits from the
  environment.

Quirks are kept on purpose (a port that "fixes" compose would hide real differences).
Go iterates bytes where this iterates characters; the two agree because every byte of a
multi-byte UTF-8 character is >= 0x80 and so never equals a quote, a backslash or `\\n`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["ComposeDotenvError", "parse", "parse_file", "substitute"]

Lookup = Callable[[str], tuple[str, bool]]


class ComposeDotenvError(ValueError):
    """Compose refuses the file (bad key, unterminated quote, invalid or required variable)."""


# --- Go's character classes -------------------------------------------------------------

# unicode.IsSpace: the Latin-1 spaces, then the White_Space property above U+00FF.
_GO_UNICODE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# parser.go isSpace: "a space character but not line break character".
_PARSER_SPACE = frozenset("\t\v\f\r \x85\xa0")


def _go_is_space(char: str) -> bool:
    return char in _GO_UNICODE_SPACE


def _is_space(char: str) -> bool:
    return char in _PARSER_SPACE


def _is_letter_or_number(char: str) -> bool:
    """unicode.IsLetter || unicode.IsNumber: categories L* and N*."""
    return unicodedata.category(char)[0] in "LN"


def _trim_left(text: str, pred: Callable[[str], bool]) -> str:
    index = 0
    while index < len(text) and pred(text[index]):
        index += 1
    return text[index:]


def _trim_right(text: str, pred: Callable[[str], bool]) -> str:
    end = len(text)
    while end > 0 and pred(text[end - 1]):
        end -= 1
    return text[:end]


# --- template/template.go ---------------------------------------------------------------

# Go: `\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|{(?:(?P<braced>[_a-z][_a-z0-9]*
# (?::?[-+?](.*))?)}|(?P<invalid>)))`. Go's (?i) folds [a-z] by simple case folding, which
# adds U+017F (long s) and U+212A (Kelvin sign) to A-Z; Python's (?i) folds differently
# (e.g. it also takes U+0130), so the classes are spelled out instead.
_NAME_START = "_a-zA-Z\u017f\u212a"
_NAME_REST = "_a-zA-Z0-9\u017f\u212a"
_PATTERN = re.compile(
    r"\$(?:(?P<escaped>\$)"
    rf"|(?P<named>[{_NAME_START}][{_NAME_REST}]*)"
    rf"|\{{(?:(?P<braced>[{_NAME_START}][{_NAME_REST}]*(?::?[-+?](.*))?)\}}|(?P<invalid>)))"
)
_SEPARATORS = (":?", "?", ":-", "-", ":+", "+")


def substitute(template: str, mapping: Lookup) -> str:
    """template.Substitute: interpolate `$VAR`, `${VAR...}` and `$$` once, left to right."""
    return _PATTERN.sub(lambda match: _replacement(match.group(0), mapping), template)


def _replacement(substring: str, mapping: Lookup) -> str:
    """DefaultReplacementAppliedFunc (with no custom substitution function)."""
    subs_func = _substitution_function_for(substring)
    closing = _first_brace_closing_index(substring)
    rest = ""
    if closing > -1:
        rest = substring[closing + 1 :]
        substring = substring[: closing + 1]

    match = _PATTERN.search(substring)
    if match is None:  # Go would index a nil slice here; treat it as the invalid case
        raise ComposeDotenvError(f"Invalid template: {substring!r}")
    if match.group("escaped"):
        return match.group("escaped")

    braced = False
    substitution = match.group("named") or ""
    if not substitution:
        substitution = match.group("braced") or ""
        braced = True
    if not substitution:
        raise ComposeDotenvError(f"Invalid template: {substring!r}")

    if braced:
        value, applied = subs_func(substitution, mapping)
        if applied:
            return value + substitute(rest, mapping)

    value, _found = mapping(substitution)
    return value


def _substitution_function_for(
    template: str,
) -> Callable[[str, Lookup], tuple[str, bool]]:
    """getSubstitutionFunctionForTemplate: the separator that appears first wins."""
    functions: dict[str, Callable[[str, Lookup], tuple[str, bool]]] = {
        ":?": lambda s, m: _with_required(s, m, ":?", lambda v: v != ""),
        "?": lambda s, m: _with_required(s, m, "?", lambda v: True),
        ":-": lambda s, m: _with_default_when_absence(s, m, True),
        "-": lambda s, m: _with_default_when_absence(s, m, False),
        ":+": lambda s, m: _with_default_when_presence(s, m, True),
        "+": lambda s, m: _with_default_when_presence(s, m, False),
    }
    found = [(template.find(sep), order, sep) for order, sep in enumerate(_SEPARATORS)]
    present = sorted(item for item in found if item[0] >= 0)
    # With no separator at all every function answers "not applied", so any one will do.
    return functions[present[0][2] if present else _SEPARATORS[0]]


def _first_brace_closing_index(text: str) -> int:
    """getFirstBraceClosingIndex, including its habit of skipping the byte after `{`."""
    open_braces = 0
    index = 0
    while index < len(text):
        if text[index] == "}":
            open_braces -= 1
            if open_braces == 0:
                return index
        if text[index] == "{":
            open_braces += 1
            index += 1
        index += 1
    return -1


def _partition(text: str, sep: str) -> tuple[str, str]:
    if sep in text:
        name, _, rest = text.partition(sep)
        return name, rest
    return text, ""


def _with_default_when_absence(
    substitution: str, mapping: Lookup, empty_or_unset: bool
) -> tuple[str, bool]:
    sep = ":-" if empty_or_unset else "-"
    if sep not in substitution:
        return "", False
    name, default = _partition(substitution, sep)
    value, found = mapping(name)
    if not found or (empty_or_unset and value == ""):
        return substitute(default, mapping), True
    return value, True


def _with_default_when_presence(
    substitution: str, mapping: Lookup, not_empty: bool
) -> tuple[str, bool]:
    sep = ":+" if not_empty else "+"
    if sep not in substitution:
        return "", False
    name, default = _partition(substitution, sep)
    value, found = mapping(name)
    if found and (not not_empty or value != ""):
        return substitute(default, mapping), True
    return value, True


def _with_required(
    substitution: str, mapping: Lookup, sep: str, valid: Callable[[str], bool]
) -> tuple[str, bool]:
    if sep not in substitution:
        return "", False
    name, message = _partition(substitution, sep)
    value, found = mapping(name)
    if not found or not valid(value):
        reason = substitute(message, mapping)
        raise ComposeDotenvError(f"required variable {name} is missing a value: {reason}")
    return value, True


# --- dotenv/parser.go -------------------------------------------------------------------

_ESCAPE_SEQ = re.compile(r'(\\(?:[abcfnrtv$"\\]|0[0-9]{0,3}))')
_EXPORT = re.compile(r"^export[\t\n\f\r ]+")  # Go's \s is [\t\n\f\r ]
_GO_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}


def _expand_escapes(text: str) -> str:
    """expandEscapes: shell escapes inside double quotes; `\\$` becomes `$$` for the template."""

    def one(match: re.Match[str]) -> str:
        sequence = match.group(0)
        if sequence == "\\$":
            return "$$"
        if sequence.startswith("\\0"):
            # strconv.UnquoteChar takes exactly three octal digits, at most 0377.
            digits = sequence[2:]
            if len(digits) == 3 and all(d in "01234567" for d in digits):
                value = int(digits, 8)
                if value <= 0o377:
                    return chr(value)
            return sequence
        return _GO_SIMPLE_ESCAPES.get(sequence[1], sequence)  # `\c` is not a Go escape

    return _ESCAPE_SEQ.sub(one, text)


class _Parser:
    def __init__(self) -> None:
        self.line = 1

    def parse(self, src: str, out: dict[str, str], lookup: Lookup) -> None:
        cutset = src
        while True:
            cutset = self._statement_start(cutset)
            if cutset == "":
                break
            key, left, inherited = self._locate_key_name(cutset)
            if " " in key:
                raise ComposeDotenvError(f"line {self.line}: key cannot contain a space")
            if inherited:
                value, found = lookup(key)
                if found:
                    out[key] = value
                cutset = left
                continue
            value, left = self._extract_var_value(left, out, lookup)
            out[key] = value
            cutset = left

    def _statement_start(self, src: str) -> str:
        """getStatementStart: skip white space and whole comment lines (a loop, not recursion)."""
        while True:
            pos = self._index_of_non_space(src)
            if pos == -1:
                return ""
            src = src[pos:]
            if src[0] != "#":
                return src
            pos = src.find("\n")
            if pos == -1:
                return ""
            src = src[pos:]

    def _index_of_non_space(self, src: str) -> int:
        for index, char in enumerate(src):
            if char == "\n":
                self.line += 1
            if not _go_is_space(char):
                return index
        return -1

    def _locate_key_name(self, src: str) -> tuple[str, str, bool]:
        key = ""
        inherited = False
        if _EXPORT.match(src):
            src = _trim_left(src[len("export") :], _is_space)
        offset = 0
        for index, char in enumerate(src):
            if _is_space(char):
                continue
            if char in "=:\n":
                key = src[:index]
                offset = index + 1
                inherited = char == "\n"
                break
            if char in "_.-[]" or _is_letter_or_number(char):
                continue
            first_line = src.split("\n", 1)[0]
            raise ComposeDotenvError(
                f"line {self.line}: unexpected character {char!r} in variable name {first_line!r}"
            )
        if src == "":
            raise ComposeDotenvError("zero length string")
        if inherited and " " not in key:
            self.line += 1
        key = _trim_right(key, _go_is_space)
        return key, _trim_left(src[offset:], _is_space), inherited

    def _extract_var_value(self, src: str, env: dict[str, str], lookup: Lookup) -> tuple[str, str]:
        quote = src[0] if src[:1] in ("'", '"') else ""
        if not quote:
            value, _, rest = src.partition("\n")
            self.line += 1
            value = value.split(" #", 1)[0]
            value = _trim_right(value, _go_is_space)
            return _expand_variables(value, env, lookup), rest

        previous_is_escape = False
        chars: list[str] = []
        for index in range(1, len(src)):
            char = src[index]
            if char == "\n":
                self.line += 1
            if char != quote:
                if not previous_is_escape and char == "\\":
                    previous_is_escape = True
                    continue
                if previous_is_escape:
                    previous_is_escape = False
                    chars.append("\\")
                chars.append(char)
                continue
            if previous_is_escape:  # \" or \' (the quote in use) is a literal quote
                previous_is_escape = False
                chars.append(char)
                continue
            value = "".join(chars)
            if quote == '"':
                value = _expand_variables(_expand_escapes(value), env, lookup)
            return value, src[index + 1 :]

        end = src.find("\n")
        raise ComposeDotenvError(
            f"line {self.line}: unterminated quoted value {src[: end if end != -1 else None]}"
        )


def _expand_variables(value: str, env: Mapping[str, str], lookup: Lookup) -> str:
    """godotenv.go expandVariables: the lookup (process environment) first, then the file."""

    def mapping(name: str) -> tuple[str, bool]:
        found_value, found = lookup(name)
        if found:
            return found_value, True
        if name in env:
            return env[name], True
        return "", False

    return substitute(value, mapping)


# --- the entry points -------------------------------------------------------------------


def parse(text: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables Compose reads from `text`, as `GetEnvFromFile(environ, ...)` would.

    `environ` plays the process environment: it answers `$VAR` before the file does, and
    feeds bare `KEY` lines. Tests pass `{}` (the default) so the result does not depend on
    the machine's environment.
    """
    environment = dict(environ or {})

    def lookup(name: str) -> tuple[str, bool]:
        if name in environment:
            return environment[name], True
        return "", False

    out: dict[str, str] = {}
    _Parser().parse(text.removeprefix("\ufeff"), out, lookup)
    return out


def parse_file(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`parse` on a file's bytes (UTF-8, no newline translation: Go reads bytes as they are)."""
    return parse(Path(path).read_bytes().decode("utf-8"), environ)
