"""What an issue text points at: file paths, stack frames, dotted names,
identifiers in code, quoted error messages. Pure text analysis; resolving
mentions against an index is `symbols.locate`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from symbols.tokens import STOPWORDS


class MentionKind(StrEnum):
    FRAME = "frame"  # a stack-trace frame or panic location: path, maybe line and function
    PATH = "path"  # a source file path
    DOTTED = "dotted"  # `pkg.mod.Class.method`, `Type::method`
    IDENTIFIER = "identifier"  # a name written as code
    MESSAGE = "message"  # a literal piece of an error message, to find in string literals


@dataclass(frozen=True, slots=True)
class Mention:
    kind: MentionKind
    text: str
    path: str | None = None
    line: int | None = None
    name: str | None = None
    # Later mentions in a traceback are nearer the failure: they weigh more.
    weight: float = 1.0


_SOURCE_PATH = r"[A-Za-z0-9_.\-/\\]+\.(?:py|pyi|rs)"
_PY_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<name>[\w<>.]+))?')
# IPython / pytest style: `/path/to/mod.py in func(...)`, `mod.py:123: in func`.
_IPY_FRAME = re.compile(rf"(?P<path>{_SOURCE_PATH}) in (?P<name>\w+)\(")
_PYTEST_FRAME = re.compile(rf"(?P<path>{_SOURCE_PATH}):(?P<line>\d+):(?: in (?P<name>\w+))?")
_RUST_PANIC = re.compile(
    r"panicked at (?:'[^\n]*?', |\"[^\n]*?\", )?(?P<path>[\w./\\-]+\.rs):(?P<line>\d+)(?::\d+)?"
)
_RUST_LOCATION = re.compile(r"(?:-->|at) (?P<path>[\w./\\-]+\.rs):(?P<line>\d+)(?::\d+)?")
_PATH = re.compile(rf"(?<![\w/.])(?P<path>{_SOURCE_PATH})")
_DOTTED = re.compile(r"(?<![\w.:])(?P<name>[A-Za-z_]\w*(?:(?:\.|::)[A-Za-z_]\w*)+)")
_IDENT = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.S)
_INLINE = re.compile(r"`([^`\n]+)`")
_MESSAGE = re.compile(r"^\s*(?:\w+\.)*(?:\w*Error|\w*Exception|\w*Warning|panicked at)\b:?\s*(?P<message>.+?)\s*$", re.M)
_LITERAL_PIECE = re.compile(r"[^'\"`{}()\[\]<>0-9\n]{16,}")
_FILE_SUFFIXES = (".py", ".pyi", ".rs")
_NOT_NAMES = STOPWORDS | frozenset(
    "import from def class return self none true false print assert lambda pass raise fn let mut "
    "pub use impl struct enum match python rust traceback most recent call last".split()
)


def _code_regions(text: str) -> list[str]:
    return [m.group(1) for m in _FENCE.finditer(text)] + [m.group(1) for m in _INLINE.finditer(text)]


def _looks_like_code(word: str) -> bool:
    return "_" in word.strip("_") or (any(c.isupper() for c in word[1:]) and any(c.islower() for c in word))


def _frames(text: str) -> list[Mention]:
    found: list[tuple[int, Mention]] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_PY_FRAME, _RUST_PANIC, _PYTEST_FRAME, _IPY_FRAME, _RUST_LOCATION):
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue  # one location, matched by a more specific pattern already
            taken.append(m.span())
            groups = m.groupdict()
            line = int(groups["line"]) if groups.get("line") else None
            name = groups.get("name")
            if name is not None and (name.startswith("<") or name == "module"):
                name = None
            mention = Mention(MentionKind.FRAME, m.group(0), groups["path"].replace("\\", "/"), line, name)
            found.append((m.start(), mention))
    found.sort(key=lambda pair: pair[0])
    count = len(found)
    # The last frames of a traceback are nearest the failure.
    return [
        Mention(m.kind, m.text, m.path, m.line, m.name, 1.0 + i / max(count - 1, 1))
        for i, (_, m) in enumerate(found)
    ]


def _messages(text: str) -> list[Mention]:
    out: list[Mention] = []
    for m in _MESSAGE.finditer(text):
        for piece in _LITERAL_PIECE.findall(m.group("message")):
            piece = piece.strip(" :,.")
            if len(piece) >= 16 and " " in piece:
                out.append(Mention(MentionKind.MESSAGE, piece))
    return out


def find_mentions(text: str) -> list[Mention]:
    """Every mention in an issue text, deduplicated, in a stable order."""
    mentions: list[Mention] = _frames(text)
    frame_paths = {m.path for m in mentions}
    for m in _PATH.finditer(text):
        path = m.group("path").replace("\\", "/")
        if path not in frame_paths:
            mentions.append(Mention(MentionKind.PATH, path, path=path))
            frame_paths.add(path)
    code = _code_regions(text)
    seen: set[tuple[MentionKind, str]] = set()
    for region_weight, regions in ((1.0, code), (0.6, [text])):
        for region in regions:
            for m in _DOTTED.finditer(region):
                name = m.group("name")
                if name.endswith(_FILE_SUFFIXES) or (MentionKind.DOTTED, name) in seen:
                    continue
                seen.add((MentionKind.DOTTED, name))
                mentions.append(Mention(MentionKind.DOTTED, name, name=name, weight=region_weight))
    for region_weight, regions, any_word in ((1.0, code, True), (0.6, [text], False)):
        for region in regions:
            for m in _IDENT.finditer(region):
                word = m.group(0)
                key = (MentionKind.IDENTIFIER, word)
                if key in seen or len(word) < 3 or word.lower() in _NOT_NAMES:
                    continue
                called = region[m.end() : m.end() + 1] == "("
                if not any_word and not called and not _looks_like_code(word):
                    continue
                seen.add(key)
                mentions.append(Mention(MentionKind.IDENTIFIER, word, name=word, weight=region_weight))
    mentions.extend(_messages(text))
    return mentions
