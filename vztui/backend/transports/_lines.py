"""Turns a command's byte chunks into ``OutputLine`` records, one per newline, whatever the chunk boundaries."""

from __future__ import annotations

from vztui.backend.transport import OutputLine, Stream

MAX_LINE_BYTES = 1 << 20
"""A line longer than this is cut into pieces, so a command that never prints a newline cannot exhaust memory."""


class LineSplitter:
    """Buffers one stream's bytes and yields complete lines, decoded with replacement and without ``\\r\\n``.

    Decoding happens per whole line, so a multi-byte UTF-8 character split across two reads arrives intact.
    """

    def __init__(self, stream: Stream, *, max_line: int = MAX_LINE_BYTES) -> None:
        self._stream = stream
        self._max_line = max_line
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[OutputLine]:
        self._buffer += data
        lines: list[OutputLine] = []
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end < 0:
                break
            lines.append(self._line(self._buffer[start:end]))
            start = end + 1
        del self._buffer[:start]
        while len(self._buffer) >= self._max_line:
            lines.append(self._line(self._buffer[: self._max_line], strip_cr=False))
            del self._buffer[: self._max_line]
        return lines

    def flush(self) -> list[OutputLine]:
        """The unterminated last line, if any (a command whose output does not end in a newline)."""
        if not self._buffer:
            return []
        line = self._line(self._buffer)
        self._buffer.clear()
        return [line]

    def _line(self, raw: bytes | bytearray, *, strip_cr: bool = True) -> OutputLine:
        text = bytes(raw).decode("utf-8", errors="replace")
        if strip_cr and text.endswith("\r"):
            text = text[:-1]
        return OutputLine(self._stream, text)
